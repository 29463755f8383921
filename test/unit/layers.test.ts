/**
 * Imports point one way (DESIGN.md, Layout): workers/ → objects/ → the vocabulary and
 * wire contracts. Nothing in objects/ or federation/ imports from workers/.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The files under `dirs` whose imports (static, dynamic or `import("…")` types) resolve into `target`/. */
function importsInto(dirs: string[], target: string): string[] {
  const files = execFileSync("git", ["ls-files", "-z", "--", ...dirs.map((d) => `${d}/*.ts`)], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  const offenders: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      const into = path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), m[1]));
      if (into.startsWith(`${target}${path.sep}`)) offenders.push(`${file} → ${into}`);
    }
  }
  return offenders;
}

describe("layers", () => {
  it("objects/ and federation/ never import from workers/", () => {
    expect(importsInto(["objects", "federation"], "workers")).toEqual([]);
  });

  it("the callback cloud and the mesh view do not import each other (each sees the other as a small RPC interface)", () => {
    expect(importsInto(["objects/mesh-view"], "objects/callback-cloud")).toEqual([]);
    expect(importsInto(["objects/callback-cloud"], "objects/mesh-view")).toEqual([]);
  });
});
