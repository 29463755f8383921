import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import acme from "../../examples/providers/acme.json" with { type: "json" };
import reasons from "../fixtures/intent-reasons.json" with { type: "json" };
import holdout from "../fixtures/intent-reasons-holdout.json" with { type: "json" };
import sealed from "../fixtures/intent-reasons-sealed.json" with { type: "json" };
import { trainIntentEngine, UNKNOWN_INTENT, type IntentDefinition } from "../../objects/callback-cloud/intents.ts";
import { accuracyOf } from "../../objects/callback-cloud/intent/accuracy.ts";
import { hostedIntentEngine, type AiBinding } from "../../objects/callback-cloud/intent/hosted.ts";
import { trainBaseline } from "../../objects/callback-cloud/intent/naive-bayes.ts";
import { providerRegistration } from "../../objects/callback-cloud/provider.ts";
import { stems, words } from "../../objects/callback-cloud/intent/tokens.ts";
import { bundledLexicon, relatedness } from "../../objects/callback-cloud/intent/lexicon.ts";

const intents: IntentDefinition[] = providerRegistration.parse(acme).intents;
const names = intents.map((i) => i.name);
const engine = trainIntentEngine(intents);
const baseline = trainBaseline(intents);
const priorityOf = (name: string) => intents.find((i) => i.name === name)?.priority;

describe("tokens", () => {
  it("spells out contractions, drops stop words and stems", () => {
    expect(words("The fridge's door won't close, I'm sure")).toEqual(["the", "fridge", "door", "will", "not", "close", "i", "am", "sure"]);
    expect(stems("the washer wont drain and is leaking")).toEqual(["washer", "will", "not", "drain", "leak"]);
    expect(stems("what is the status of order 55821")).toEqual(["statu", "order", "#number"]);
  });
});

describe("lexicon (WordNet, trimmed)", () => {
  const lexicon = bundledLexicon();
  const related = (a: string, b: string) => relatedness(lexicon.concepts(a), lexicon.concepts(b));

  it("relates synonyms, derived and irregular forms, and a word to the words of its definition", () => {
    expect(related("fix", "repair")).toBe(1);
    expect(related("parcel", "package")).toBeGreaterThanOrEqual(0.7);
    expect(related("register", "registration")).toBeGreaterThanOrEqual(0.7);
    expect(related("paid", "payment")).toBeGreaterThanOrEqual(0.7);
    expect(related("owe", "pay")).toBeGreaterThan(0.3);
    expect(related("fridge", "invoice")).toBe(0);
    expect(lexicon.has("cooker")).toBe(true);
    expect(lexicon.has("qwertyuiop")).toBe(false);
  });

  it("reads the specific as the general, not the general as the specific", () => {
    expect(related("installments", "payment")).toBeGreaterThan(0.5);
    expect(related("installation", "start")).toBeGreaterThan(0.4);
    expect(related("start", "installation")).toBeLessThan(0.05);
  });
});

/**
 * A development regression guard, not a measure of accuracy: the engine's weights were chosen on
 * this set (test/fixtures/intent-reasons.json), so its figure flatters the engine.
 */
describe("development set: intent accuracy on the reasons the weights were chosen on (intent-reasons.json)", () => {
  const engineAccuracy = accuracyOf((text) => engine.analyze(text).intent.name, reasons, names);
  const baselineAccuracy = accuracyOf((text) => baseline.classify(text).name, reasons, names);

  it("reaches the 0.90 goal, clearly above the naive-Bayes baseline", () => {
    console.log(
      `intent accuracy on ${engineAccuracy.total} labelled reasons: engine ${(engineAccuracy.overall * 100).toFixed(1)}%, ` +
        `naive-Bayes baseline ${(baselineAccuracy.overall * 100).toFixed(1)}%`,
    );
    expect(engineAccuracy.total).toBe(120);
    // 0.917 when written (110 of 120).
    expect(engineAccuracy.overall).toBeGreaterThanOrEqual(0.9);
    expect(engineAccuracy.overall).toBeGreaterThanOrEqual(baselineAccuracy.overall + 0.05);
  });

  it("gets most of every intent right", () => {
    for (const [name, { correct, total }] of Object.entries(engineAccuracy.perIntent)) {
      expect(total, name).toBeGreaterThanOrEqual(10);
      expect(correct / total, name).toBeGreaterThanOrEqual(0.6);
    }
  });
});

/**
 * A second development set (test/fixtures/intent-reasons-holdout.json). It was called a
 * hold-out, but it first appears in the commit with the lexicon and the final weights, and
 * bench/intents.ts printed each of its misses and ran an ablation on it: it has been looked
 * at, so it guards against regressions like the first set and measures nothing.
 */
describe("development set: intent accuracy on the second labelled set (intent-reasons-holdout.json)", () => {
  const engineAccuracy = accuracyOf((text) => engine.analyze(text).intent.name, holdout, names);
  const baselineAccuracy = accuracyOf((text) => baseline.classify(text).name, holdout, names);

  it("stays above the baseline", () => {
    expect(engineAccuracy.total).toBe(96);
    for (const { total } of Object.values(engineAccuracy.perIntent)) expect(total).toBeGreaterThanOrEqual(10);
    // 0.802 when written (77 of 96; the engine before the lexicon had 0.729, the baseline 0.688).
    expect(engineAccuracy.overall).toBeGreaterThanOrEqual(0.76);
    expect(engineAccuracy.overall).toBeGreaterThanOrEqual(baselineAccuracy.overall + 0.05);
  });
});

/**
 * The sealed set (test/fixtures/intent-reasons-sealed.json): 102 reasons written on 2026-12-07,
 * after the engine's last change, by someone who did not look at the engine's answers on them
 * while writing. It was run once, to set the floors below (measured: 0.823 overall, baseline
 * 0.792; per intent out of 12: repair 10, billing 10, orders 8, returns 12, sales 8, warranty
 * 10, installation 11, account 10), each floor one reason under what was measured. It is never
 * tuned on and its misses are never printed (here or in bench/intents.ts): a change to the
 * engine that is judged by this set can be judged by it once. The file is pinned by its hash,
 * so an edit to it fails here rather than passing quietly.
 */
describe("sealed set: intent accuracy on reasons the engine was never shaped by (intent-reasons-sealed.json)", () => {
  const SEALED_SHA256 = "30870f19177647789a06cacaa2a8452d23109ac48f60ee349e32d3e74b565214";
  const FLOORS: Record<string, number> = { repair: 9, billing: 9, orders: 7, returns: 11, sales: 7, warranty: 9, installation: 10, account: 9 };
  const engineAccuracy = accuracyOf((text) => engine.analyze(text).intent.name, sealed, names);
  const baselineAccuracy = accuracyOf((text) => baseline.classify(text).name, sealed, names);

  it("is the set that was sealed", () => {
    const bytes = readFileSync(new URL("../fixtures/intent-reasons-sealed.json", import.meta.url));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(SEALED_SHA256);
    expect(sealed).toHaveLength(102);
  });

  it("keeps each intent above its floor, and the whole at least the baseline's", () => {
    // Figures only: never which reasons were missed.
    console.log(`sealed set: engine ${(engineAccuracy.overall * 100).toFixed(1)}%, baseline ${(baselineAccuracy.overall * 100).toFixed(1)}%`);
    for (const [name, floor] of Object.entries(FLOORS)) {
      const got = engineAccuracy.perIntent[name];
      expect(got?.total, name).toBe(12);
      expect(got?.correct, name).toBeGreaterThanOrEqual(floor);
    }
    expect(engineAccuracy.overall).toBeGreaterThanOrEqual(0.8);
    expect(engineAccuracy.overall).toBeGreaterThanOrEqual(baselineAccuracy.overall);
  });
});

describe("intent analysis", () => {
  // Training accuracy: the examples the engine was built from, each read back as its own intent.
  it("classifies every example of the fixture to its own intent (training accuracy)", () => {
    for (const intent of intents) {
      for (const example of intent.examples) expect(engine.analyze(example).intent.name, example).toBe(intent.name);
    }
  });

  it("answers the chosen intent's skills and priority, with alternatives and the language as passed", () => {
    const a = engine.analyze("there is a charge on my card I do not recognise", "fr");
    expect(a.intent.name).toBe("billing");
    expect(a.intent.confidence).toBeGreaterThan(0);
    expect(a.intent.confidence).toBeLessThanOrEqual(1);
    expect(a.skills).toEqual({ billing: 2 });
    expect(a.priority).toBe(3);
    expect(a.urgency).toEqual([]);
    expect(a.language).toBe("fr");
    expect(a.alternatives).toHaveLength(3);
    expect(a.alternatives.map((x) => x.name)).not.toContain("billing");
    expect(a.alternatives.every((x) => x.confidence <= a.intent.confidence)).toBe(true);
    expect(engine.analyze("my card payment failed").language).toBe("en");
  });

  it("reads misspelt words as the nearest word it knows", () => {
    expect(engine.analyze("forgot my pasword").intent.name).toBe("account");
    expect(engine.analyze("my dishwaher will not start").intent.name).toBe("repair");
  });

  it("is unknown, with no skills, for text it cannot place", () => {
    for (const text of ["asdfghjkl", "hello", "qwertyuiop zxcvbnm"]) {
      const a = engine.analyze(text);
      expect(a.intent.name, text).toBe(UNKNOWN_INTENT);
      expect(a.skills).toEqual({});
      expect(a.priority).toBe(3);
    }
  });

  it("is unknown, without throwing, for stop words and punctuation only", () => {
    for (const text of ["", "   ", "the and of it", "?!?", "... , ;"]) {
      const a = engine.analyze(text);
      expect(a.intent).toEqual({ name: UNKNOWN_INTENT, confidence: 0 });
      expect(a.skills).toEqual({});
      expect(a.alternatives).toEqual([]);
    }
  });

  it("counts how many off-topic reasons it leaves unknown", () => {
    const offTopic = reasons.filter((r) => r.intent === UNKNOWN_INTENT);
    const unknown = offTopic.filter((r) => engine.analyze(r.text).intent.name === UNKNOWN_INTENT);
    console.log(`off-topic reasons left unknown: ${unknown.length} of ${offTopic.length}`);
    expect(offTopic.length).toBeGreaterThanOrEqual(6);
    // 2 of 9 when written.
    expect(unknown.length).toBeGreaterThanOrEqual(2);
  });

  it("works for a provider without intents", () => {
    const a = trainIntentEngine([]).analyze("my fridge is leaking");
    expect(a.intent.name).toBe(UNKNOWN_INTENT);
    expect(a.urgency).toEqual(["leak"]);
    expect(a.priority).toBe(1);
  });
});

describe("urgency", () => {
  it("lists hazards in their word forms and misspellings and makes the callback a safety matter", () => {
    const cases: [string, string[]][] = [
      ["water leaking all over the kitchen from the dishwasher", ["leak"]],
      ["the washer is leeking from underneath", ["leak"]],
      ["my dryer is smoking", ["smoke"]],
      ["the oven was sparking and then it smelled like burnt plastic", ["sparks", "burning"]],
      ["basement flooded because of the water heater", ["flood"]],
      ["my son got injured by the oven door", ["injury"]],
      ["I smell gas near the cooktop", ["gas"]],
      ["smell of gas from my gas range", ["gas"]],
      ["got a shock from the washer", ["shock"]],
    ];
    for (const [text, cues] of cases) {
      const a = engine.analyze(text);
      expect(a.urgency, text).toEqual(cues);
      expect(a.priority, text).toBe(1);
    }
  });

  it("does not take a gas appliance, a real word one letter away, or a denied hazard for a hazard", () => {
    for (const text of ["is the gas range in stock", "Do you sell gas dryers?", "can a technician connect my gas range", "water all over the floor", "I am parking outside", "no smoke, just a loud noise"]) {
      expect(engine.analyze(text).urgency, text).toEqual([]);
    }
    const sales = engine.analyze("I'm interested in buying a gas range, which brands do you carry");
    expect(sales.intent.name).toBe("sales");
    expect(sales.priority).toBe(priorityOf("sales"));
  });

  it("raises priority one step for shouting in capitals and for exclamation marks", () => {
    const shouting = engine.analyze("WHERE IS MY ORDER");
    expect(shouting.intent.name).toBe("orders");
    expect(shouting.urgency).toEqual(["capitals"]);
    expect(shouting.priority).toBe(priorityOf("orders")! - 1);
    const exclaiming = engine.analyze("I was charged twice!! fix it!");
    expect(exclaiming.urgency).toEqual(["exclamation"]);
    expect(exclaiming.priority).toBe(priorityOf("billing")! - 1);
    // An acronym or a single exclamation mark is no shouting.
    expect(engine.analyze("I need a VAT invoice for my company").urgency).toEqual([]);
    expect(engine.analyze("hi there! where is my order").urgency).toEqual([]);
  });

  it("never raises priority above 1", () => {
    const a = engine.analyze("FRIDGE IS SMOKING!!!");
    expect(a.urgency).toEqual(["smoke", "capitals", "exclamation"]);
    expect(a.priority).toBe(1);
  });
});

/**
 * A stand-in for a Workers AI text-embedding model: each text becomes counts of its
 * words hashed into 64 buckets, so texts sharing words are close.
 */
function fakeAi(behaviour: "ok" | "throws" | "hangs" | "malformed" = "ok") {
  const calls: string[][] = [];
  const embed = (text: string) => {
    const v = new Array<number>(64).fill(0);
    for (const w of words(text)) {
      let h = 7;
      for (const c of w) h = (h * 31 + c.charCodeAt(0)) % 64;
      v[h] += 1;
    }
    return v;
  };
  const ai: AiBinding = {
    run(model, input) {
      const text = (input as { text: string[] }).text;
      calls.push(text);
      if (model !== "@cf/baai/bge-small-en-v1.5") return Promise.reject(new Error(`unexpected model ${model}`));
      if (behaviour === "throws") return Promise.reject(new Error("AI is down"));
      if (behaviour === "hangs") return new Promise(() => {});
      if (behaviour === "malformed") return Promise.resolve({ shape: [1], data: "nope" });
      return Promise.resolve({ shape: [text.length, 64], data: text.map(embed) });
    },
  };
  return { ai, calls };
}

describe("hosted intent engine (Workers AI adapter)", () => {
  it("picks the intent whose examples the model puts closest, embedding the examples once", async () => {
    const { ai, calls } = fakeAi();
    const hosted = hostedIntentEngine(ai, intents, engine);
    const billing = await hosted.analyze("I was charged twice this month!!", "de");
    expect(billing.intent.name).toBe("billing");
    expect(billing.skills).toEqual({ billing: 2 });
    expect(billing.urgency).toEqual(["exclamation"]);
    expect(billing.priority).toBe(priorityOf("billing")! - 1);
    expect(billing.language).toBe("de");
    const orders = await hosted.analyze("where is my order");
    expect(orders.intent.name).toBe("orders");
    // The examples (plus one name-and-description text per intent) once, then one call per analysis.
    expect(calls.map((c) => c.length)).toEqual([intents.length * 17, 1, 1]);
  });

  it("is unknown under its threshold", async () => {
    const { ai } = fakeAi();
    const a = await hostedIntentEngine(ai, intents, engine).analyze("zebra quantum");
    expect(a.intent.name).toBe(UNKNOWN_INTENT);
    expect(a.skills).toEqual({});
  });

  it("falls back to the local engine when the model fails, hangs or answers nonsense", async () => {
    for (const behaviour of ["throws", "hangs", "malformed"] as const) {
      const { ai } = fakeAi(behaviour);
      const errors: unknown[] = [];
      const hosted = hostedIntentEngine(ai, intents, engine, undefined, { timeoutMs: 20, onFallback: (e) => errors.push(e) });
      const text = "my fridge is leaking water everywhere";
      expect(await hosted.analyze(text, "en"), behaviour).toEqual(engine.analyze(text, "en"));
      expect(errors, behaviour).toHaveLength(1);
    }
  });

  it("tries the examples again after a failure instead of keeping it", async () => {
    let fail = true;
    const { ai: working } = fakeAi();
    const ai: AiBinding = {
      run: (model, input) => (fail ? Promise.reject(new Error("blip")) : working.run(model, input)),
    };
    const hosted = hostedIntentEngine(ai, intents, engine);
    await hosted.analyze("where is my order");
    fail = false;
    const a = await hosted.analyze("I was charged twice this month");
    expect(a.intent.name).toBe("billing");
  });
});
