/**
 * Urgency cues in a reason: hazards (a leak, smoke, gas, sparks, a flood, an injury,
 * fire, burning, a shock) and emphasis (shouting in capitals, exclamation marks).
 * A hazard makes the callback a safety matter; emphasis makes it more pressing.
 */
import { distance } from "fastest-levenshtein";
import { words } from "./tokens.ts";

/** Each hazard and the forms of it that customers write. */
const HAZARDS: Record<string, readonly string[]> = {
  leak: ["leak", "leaks", "leaking", "leaked", "leaky", "leakage"],
  smoke: ["smoke", "smokes", "smoking", "smoked", "smoky", "smokey"],
  gas: ["gas"],
  sparks: ["spark", "sparks", "sparking", "sparked", "sparky"],
  flood: ["flood", "floods", "flooding", "flooded"],
  injury: ["injury", "injuries", "injured", "injure", "hurt"],
  fire: ["fire", "fires", "flame", "flames", "ablaze"],
  burning: ["burning", "burnt", "burned", "burn"],
  shock: ["shock", "shocks", "shocked", "electrocuted"],
};
const FORMS = new Map(Object.entries(HAZARDS).flatMap(([cue, forms]) => forms.map((f) => [f, cue] as const)));
const NEGATIONS = new Set(["no", "not", "never", "without"]);
// "gas range", "gas dryer": gas as the kind of an appliance or its fitting, not gas in the air.
const GAS_PRODUCTS = new Set(
  "range ranges stove stoves oven ovens cooktop cooktops hob hobs cooker cookers dryer dryers grill grills heater heaters boiler boilers furnace furnaces fireplace fireplaces burner burners line lines pipe pipes hookup connection supply fitting fittings model models version one ones appliance appliances powered".split(" "),
);
// ...unless the text also speaks of what gas in the air does.
const GAS_IN_THE_AIR = new Set(["smell", "smells", "smelling", "smelt", "smelled", "odor", "odour", "fumes", "whiff", "stink", "stinks"]);

export interface Urgency {
  /** Hazards named, each once, in order of first mention. */
  hazards: string[];
  /** "capitals" and/or "exclamation". */
  emphasis: string[];
}

export interface UrgencyOptions {
  /** Words after "gas" that make it a product name for this provider (from its examples). */
  gasProducts?: ReadonlySet<string>;
  /** A word that is a real word (in the vocabulary) is never read as a misspelt hazard ("floor" is not "flood"). */
  isKnownWord?: (word: string) => boolean;
}

/** A hazard form within one edit of an unknown word of 6 letters or more, sharing its first two letters. */
function misspeltHazard(word: string, isKnownWord: (w: string) => boolean): string | undefined {
  if (word.length < 6 || isKnownWord(word)) return undefined;
  for (const [form, cue] of FORMS) {
    if (form.length >= 5 && form.startsWith(word.slice(0, 2)) && Math.abs(form.length - word.length) <= 1 && distance(form, word) === 1) return cue;
  }
  return undefined;
}

export function urgencyOf(text: string, options: UrgencyOptions = {}): Urgency {
  const list = words(text);
  const isKnown = options.isKnownWord ?? (() => true);
  const smelly = list.some((w) => GAS_IN_THE_AIR.has(w));
  const hazards: string[] = [];
  list.forEach((word, i) => {
    const cue = FORMS.get(word) ?? misspeltHazard(word, isKnown);
    if (!cue || hazards.includes(cue)) return;
    if (list.slice(Math.max(0, i - 2), i).some((w) => NEGATIONS.has(w))) return;
    if (cue === "gas" && !smelly) {
      const next = list[i + 1];
      if (next !== undefined && (GAS_PRODUCTS.has(next) || options.gasProducts?.has(next))) return;
    }
    hazards.push(cue);
  });
  const emphasis: string[] = [];
  const letters = text.replace(/[^A-Za-z]/g, "");
  const shouted = (text.match(/\b[A-Z]{3,}\b/g) ?? []).length;
  if (shouted >= 2 || (letters.length >= 6 && letters.replace(/[^A-Z]/g, "").length / letters.length >= 0.6)) emphasis.push("capitals");
  if ((text.match(/!/g) ?? []).length >= 2) emphasis.push("exclamation");
  return { hazards, emphasis };
}

/** Lower is more urgent, 1 at most: a hazard is a safety matter and goes first; emphasis moves one step up. */
export function urgentPriority(base: number, urgency: Urgency): number {
  if (urgency.hazards.length > 0) return 1;
  if (urgency.emphasis.length > 0) return Math.max(1, base - 1);
  return base;
}
