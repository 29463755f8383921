import { describe, expect, it } from "vitest";
import { isDisplaySafe } from "../../objects/shared/text.ts";

describe("names a person reads back", () => {
  it("take any script, accents and emoji", () => {
    for (const name of ["Ana Souza", "José Ñúñez", "محمد علي", "שרה לוי", "王芳", "Zoë 👩🏽‍💻"]) expect(isDisplaySafe(name), name).toBe(true);
  });

  it("refuse controls, direction overrides and isolates, and lone surrogates", () => {
    for (const name of ["a\nb", "a\u0000b", "a\u007Fb", "a\u0085b", "Zed \u202Egnp.exe", "a\u2066b\u2069", "a\u200Fb", "a\uD800", "\uDC00a"]) {
      expect(isDisplaySafe(name), JSON.stringify(name)).toBe(false);
    }
  });
});
