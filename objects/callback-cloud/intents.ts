/**
 * The intent analysis seam. This first engine scores a reason against each intent's
 * examples, name and description by shared words; the intent-engine issue replaces
 * it behind the same interface.
 */
export interface IntentDefinition {
  name: string;
  description: string;
  skills: Record<string, number>;
  priority: number;
  examples: string[];
}

export interface IntentAnalysis {
  intent: { name: string; confidence: number };
  skills: Record<string, number>;
  priority: number;
  urgency: string[];
  language: string;
  alternatives: { name: string; confidence: number }[];
}

export interface IntentEngine {
  analyze(text: string, language?: string): IntentAnalysis;
}

export const UNKNOWN_INTENT = "unknown";
const THRESHOLD = 0.2;
const URGENT = ["leak", "leaking", "smoke", "gas", "sparks", "spark", "flood", "flooding", "fire", "injury", "injured", "burning"];
const STOP = new Set("a an the i my me is are was to of and or in on it this that for with at be not no can you your we our".split(" "));

const words = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !STOP.has(w))
    .map((w) => w.replace(/(ing|ed|es|s)$/, ""));

export function trainWordOverlapEngine(intents: readonly IntentDefinition[]): IntentEngine {
  const vocab = intents.map((i) => ({
    intent: i,
    words: new Set([...words(i.name), ...words(i.description), ...i.examples.flatMap(words)]),
  }));
  return {
    analyze(text, language = "en") {
      const said = new Set(words(text));
      const scored = vocab
        .map(({ intent, words: known }) => {
          const hits = [...said].filter((w) => known.has(w)).length;
          return { name: intent.name, confidence: said.size === 0 ? 0 : Math.round((hits / said.size) * 100) / 100 };
        })
        .sort((a, b) => b.confidence - a.confidence);
      const best = scored[0];
      const chosen = best && best.confidence >= THRESHOLD ? intents.find((i) => i.name === best.name) : undefined;
      const urgency = URGENT.filter((cue) => text.toLowerCase().includes(cue));
      const shouting = /[A-Z]{4,}/.test(text) || /!{2,}/.test(text);
      if (shouting) urgency.push("emphasis");
      const base = chosen?.priority ?? 3;
      return {
        intent: chosen ? best : { name: UNKNOWN_INTENT, confidence: best?.confidence ?? 0 },
        skills: chosen?.skills ?? {},
        priority: urgency.length > 0 ? Math.max(1, base - 1) : base,
        urgency,
        language,
        alternatives: scored.slice(chosen ? 1 : 0, 4),
      };
    },
  };
}
