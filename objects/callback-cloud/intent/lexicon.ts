/**
 * A lexicon of English from WordNet (lexicon.json, made by scripts/build-lexicon.ts): what a
 * word can mean, as a set of concepts (WordNet synsets) with weights, so that two words that
 * share a concept are related — synonyms ("fix", "repair"; "parcel", "package"), derived forms
 * ("register", "registration"), words under a common hypernym ("installment" under "payment"),
 * a word and the words of its definition ("owe": "be obliged to pay or repay"). Split once per
 * isolate on first use; each lemma's and synset's entry is parsed when first needed.
 */
import data from "./lexicon.json" with { type: "json" };

/** How much each way of reaching a concept counts, the sense itself counting 1. */
export interface ExpansionWeights {
  /** Each later sense of a word counts this much of the one before (WordNet orders senses by frequency). */
  senseDecay: number;
  /** A derivationally related form ("register" → "registration"). */
  derivation: number;
  /** A similar adjective, participle or pertainym, verb group, attribute. */
  similar: number;
  /** One level up the hypernyms; each further level multiplies again. */
  hypernym: number;
  /** A word of the definition (its first sense in each part of speech). */
  definition: number;
}

/** Chosen with the classifier's parameters (leave-one-out over the fixture's examples; see classifier.ts). */
export const DEFAULT_EXPANSION: ExpansionWeights = {
  senseDecay: 0.3,
  derivation: 0.8,
  similar: 0.7,
  hypernym: 0.6,
  definition: 0.5,
};

/** A concept a word reaches: how strongly, and whether only by going up its hypernyms (to something more general than the word). */
export interface Concept {
  weight: number;
  above: boolean;
}
export type Concepts = ReadonlyMap<number, Concept>;

export interface Lexicon {
  /** Whether the lexicon knows the word through one of its base forms. */
  has(word: string): boolean;
  /** The concepts of a word (any part of speech), weighted; empty when it is unknown. */
  concepts(word: string): Concepts;
  /** The same lexicon expanding with other weights (its own cache). */
  withWeights(weights: Partial<ExpansionWeights>): Lexicon;
}

/**
 * How related a reason's word is to another word: the largest product of weights over the
 * concepts they share, 0 when none. A concept the reason's word is itself (or derives from) but
 * the other word reaches only above it does not count: a word more general than another says
 * little of it ("start" is no sign of "installation", a kind of start), while one more specific
 * does ("installments" are payments) and two under a common hypernym are akin.
 */
export function relatedness(reason: Concepts, other: Concepts): number {
  let best = 0;
  for (const [c, a] of reason) {
    const b = other.get(c);
    if (b === undefined || (b.above && !a.above)) continue;
    if (a.weight * b.weight > best) best = a.weight * b.weight;
  }
  return best;
}

type Pos = "n" | "v" | "a" | "r";
/** WordNet's detachment rules (morphy), as scripts/build-lexicon.ts applies them. */
const RULES: Record<Pos, [string, string][]> = {
  n: [["s", ""], ["ses", "s"], ["xes", "x"], ["zes", "z"], ["ches", "ch"], ["shes", "sh"], ["men", "man"], ["ies", "y"]],
  v: [["s", ""], ["ies", "y"], ["es", "e"], ["es", ""], ["ed", "e"], ["ed", ""], ["ing", "e"], ["ing", ""]],
  a: [["er", ""], ["est", ""], ["er", "e"], ["est", "e"]],
  r: [],
};
const POSES: Pos[] = ["n", "v", "a", "r"];

interface LexiconData {
  lemmas: string;
  senses: string;
  pos: string;
  pointers: string;
  definitions: string;
  irregular: string;
}

/** Words whose concepts are kept, per weighting (a long-lived isolate sees many words). */
const CACHE_LIMIT = 20_000;

const numbers = (s: string): number[] => (s === "" ? [] : s.split(",").map((x) => parseInt(x, 36)));

export function decodeLexicon(raw: LexiconData, initialWeights: ExpansionWeights = DEFAULT_EXPANSION): Lexicon {
  // Split once; each lemma's senses and each synset's pointers and definition are parsed when first used.
  const lemmas = raw.lemmas.split(" ");
  const lemmaIndex = new Map<string, number>();
  lemmas.forEach((l, i) => lemmaIndex.set(l, i));
  const lazy = <T>(parts: string[], parse: (s: string) => T) => {
    const parsed: (T | undefined)[] = new Array(parts.length);
    return (i: number): T => (parsed[i] ??= parse(parts[i]));
  };
  const sensesOf = lazy(raw.senses.split(" "), numbers);
  const pos = raw.pos;
  const pointersOf = lazy(raw.pointers.split(" "), (s) => (s === "" ? [] : s.split(",").map((p) => ({ kind: p[0], target: parseInt(p.slice(1), 36) }))));
  const definitionOf = lazy(raw.definitions.split(" "), numbers);
  const irregular = new Map<string, string[]>();
  for (const pair of raw.irregular.split(" ")) {
    const [form, base] = pair.split(":");
    if (form && base) irregular.set(form, [...(irregular.get(form) ?? []), base]);
  }
  const hasPos = (lemma: number, p: Pos) => sensesOf(lemma).some((s) => pos[s] === p);
  /** (lemma, part of speech) pairs a word can be a form of. */
  const baseForms = (word: string): { lemma: number; pos: Pos }[] => {
    const out: { lemma: number; pos: Pos }[] = [];
    const add = (base: string, p: Pos) => {
      const i = lemmaIndex.get(base);
      if (i !== undefined && hasPos(i, p) && !out.some((o) => o.lemma === i && o.pos === p)) out.push({ lemma: i, pos: p });
    };
    for (const p of POSES) {
      add(word, p);
      for (const [suffix, ending] of RULES[p]) if (word.endsWith(suffix) && word.length > suffix.length + 1) add(word.slice(0, word.length - suffix.length) + ending, p);
    }
    for (const base of irregular.get(word) ?? []) for (const p of POSES) add(base, p);
    return out;
  };

  const view = (weights: ExpansionWeights): Lexicon => {
    const cache = new Map<string, Concepts>();
    const concepts = (word: string): Concepts => {
      const cached = cache.get(word);
      if (cached) return cached;
      if (cache.size >= CACHE_LIMIT) cache.clear();
      const out = new Map<number, Concept>();
      const add = (c: number, weight: number, above = false) => {
        if (weight > (out.get(c)?.weight ?? 0)) out.set(c, { weight, above });
      };
      const hypernyms = (c: number, w: number) => {
        for (const p of pointersOf(c)) {
          if (p.kind !== "h") continue;
          const v = w * weights.hypernym;
          if (v <= (out.get(p.target)?.weight ?? 0)) continue;
          add(p.target, v, true);
          hypernyms(p.target, v);
        }
      };
      for (const { lemma, pos: p } of baseForms(word)) {
        let rank = 0;
        for (const s of sensesOf(lemma)) {
          if (pos[s] !== p) continue;
          const self = weights.senseDecay ** rank++;
          add(s, self);
          hypernyms(s, self);
          for (const ptr of pointersOf(s)) {
            if (ptr.kind === "d") add(ptr.target, self * weights.derivation);
            else if (ptr.kind !== "h") add(ptr.target, self * weights.similar);
          }
          // A word of the definition: its first sense in each part of speech ("pay" the noun and the verb).
          if (weights.definition > 0) {
            for (const l of definitionOf(s)) {
              const seen = new Set<string>();
              for (const x of sensesOf(l)) {
                if (seen.has(pos[x])) continue;
                seen.add(pos[x]);
                add(x, self * weights.definition);
              }
            }
          }
        }
      }
      cache.set(word, out);
      return out;
    };

    return {
      has: (word) => baseForms(word).length > 0,
      concepts,
      withWeights: (w) => view({ ...weights, ...w }),
    };
  };
  return view(initialWeights);
}

let bundled: Lexicon | undefined;

/** The bundled lexicon. */
export function bundledLexicon(): Lexicon {
  bundled ??= decodeLexicon(data);
  return bundled;
}
