import { describe, expect, it } from "vitest";
import { chooseLanguage, describeWait, localeFor, MESSAGES } from "../../pages/widget/i18n.ts";

describe("chooseLanguage: the widget's language", () => {
  it("takes the lang attribute first, whatever the browser and the provider say", () => {
    expect(chooseLanguage("fr", ["es-ES", "en-US"], ["en", "es"])).toBe("fr");
    expect(chooseLanguage("ES-mx", ["fr-FR"], ["fr"])).toBe("es");
  });

  it("ignores an attribute the widget does not translate, or an empty one", () => {
    expect(chooseLanguage("de", ["es-MX"], ["en", "es"])).toBe("es");
    expect(chooseLanguage("", ["fr-CA"], ["en", "fr"])).toBe("fr");
  });

  it("takes the browser's first language that the provider speaks and the widget translates", () => {
    // de: translated by neither; fr: not spoken by the provider; es-MX: both.
    expect(chooseLanguage(null, ["de-DE", "fr-FR", "es-MX", "en-US"], ["en", "es"])).toBe("es");
    expect(chooseLanguage(null, ["FR-be"], ["es-ES", "FR-fr"])).toBe("fr");
  });

  it("else takes the provider's first language the widget translates", () => {
    expect(chooseLanguage(null, ["de-DE", "it"], ["de", "es", "fr"])).toBe("es");
    expect(chooseLanguage(null, [], ["fr-CA", "en"])).toBe("fr");
  });

  it("else English", () => {
    expect(chooseLanguage(null, ["fr-FR"], ["de", "it"])).toBe("en");
    expect(chooseLanguage(null, ["fr-FR"], [])).toBe("en");
  });

  it("assumes an English-only provider when its languages are not given", () => {
    expect(chooseLanguage(null, ["fr-FR", "es-ES"])).toBe("en");
    expect(chooseLanguage(null, ["fr-FR", "en-GB"])).toBe("en");
  });
});

describe("localeFor: the browser's own variant of the language", () => {
  it("keeps the browser's region (en-GB, es-MX), the first one that matches", () => {
    expect(localeFor("en", ["fr-FR", "en-GB", "en-US"])).toBe("en-GB");
    expect(localeFor("es", ["de", "es-MX", "es-ES"])).toBe("es-MX");
  });

  it("falls back to the bare language when the browser has no variant of it", () => {
    expect(localeFor("fr", ["en-US", "de-DE"])).toBe("fr");
    expect(localeFor("es", [])).toBe("es");
  });
});

describe("describeWait: the estimated wait in words", () => {
  const { en, fr, es } = MESSAGES;

  it("says nobody is free when there is no slot in the next day", () => {
    expect(describeWait(null, en)).toBe("Nobody is free in the next 24 hours; we will call when someone is.");
    expect(describeWait(null, fr)).toBe("Personne n'est disponible dans les 24 heures ; nous vous rappellerons dès que possible.");
  });

  it("says within a minute up to 60 seconds (and for a slot already begun)", () => {
    for (const s of [-30, 0, 1, 59, 60]) expect(describeWait(s, en), String(s)).toBe("Estimated wait: within a minute.");
    expect(describeWait(45, es)).toBe("Espera estimada: menos de un minuto.");
  });

  it("counts whole minutes, rounded up, below 90 minutes", () => {
    expect(describeWait(61, en)).toBe("Estimated wait: about 2 minutes.");
    expect(describeWait(600, fr)).toBe("Attente estimée : environ 10 minutes.");
    expect(describeWait(89 * 60, es)).toBe("Espera estimada: unos 89 minutos.");
  });

  it("counts rounded hours from 90 minutes on (never '1 hours')", () => {
    expect(describeWait(89 * 60 + 1, en)).toBe("Estimated wait: about 2 hours.");
    expect(describeWait(149 * 60, en)).toBe("Estimated wait: about 2 hours.");
    expect(describeWait(150 * 60, fr)).toBe("Attente estimée : environ 3 heures.");
    expect(describeWait(20 * 3600, es)).toBe("Espera estimada: unas 20 horas.");
  });
});
