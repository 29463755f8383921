/**
 * The intent classifier, trained per provider from its intents' examples, names and
 * descriptions. Three views of a reason, their log-scores added up:
 *
 * - naive Bayes over stems, where a word never seen in training is read through the
 *   training words nearest to it in word-vector space (a "translation" model: P(word |
 *   intent) = Σ sim(word, w) P(w | intent) over its nearest training words w), a
 *   misspelt one through the training word one or two edits away, and a run-together
 *   one ("autopay") through its parts;
 * - nearest examples: the reason and every example as an IDF-weighted mean of their
 *   word vectors, each intent scored by its closest examples (the name and description
 *   count as one more example);
 * - what the names and descriptions say: how close each of the reason's words comes to
 *   an intent's name and description words, common words ("something") weighing less.
 *
 * The weights were chosen by leave-one-out over the acme fixture's examples.
 * A hazard (smoke, sparks, a leak…) also counts for the intents whose name or
 * description speaks of safety ("an appliance is broken, faulty or unsafe").
 */
import type { IntentDefinition } from "./types.ts";
import { softmax } from "./naive-bayes.ts";
import { tokens, type Token } from "./tokens.ts";
import { correct } from "./typos.ts";
import { dot, type WordVectors } from "./vectors.ts";
import { stemmer } from "stemmer";

export interface ClassifierParams {
  /** How many examples an intent's name, and its description, count for. */
  nameWeight: number;
  descriptionWeight: number;
  /** Laplace smoothing of the stem counts. */
  smoothing: number;
  /** Cosine under which a training word is no neighbour of an unseen word. */
  neighbourFloor: number;
  /** How many nearest training stems stand for an unseen word. */
  neighbours: number;
  /** Under this cosine between a word and the training words of its stem, the stem match is an accident ("installments" is not "installation"). */
  collision: number;
  /** Weight of the nearest-examples score beside the naive-Bayes log-likelihood. */
  exampleWeight: number;
  /** How many closest examples make an intent's nearest-examples score. */
  closestExamples: number;
  /** Log-odds a hazard adds to the intents that speak of safety. */
  hazardWeight: number;
  /** Weight of the closeness of the reason's words to each intent's name and description words. */
  anchorWeight: number;
  /** Frequency rank at which a word weighs half in the anchor score (common words such as "something" say little). */
  commonRank: number;
}

export const DEFAULT_PARAMS: ClassifierParams = {
  nameWeight: 3,
  descriptionWeight: 2,
  smoothing: 1,
  neighbourFloor: 0.4,
  neighbours: 3,
  collision: 0.1,
  exampleWeight: 3,
  closestExamples: 3,
  hazardWeight: 2,
  anchorWeight: 1,
  commonRank: 300,
};

/** What a description says when an intent is the one for safety matters. */
const SAFETY_WORDS = new Set(["unsafe", "safety", "safe", "danger", "dangerous", "hazard", "hazardous", "emergency", "emergencies"]);

export interface Classification {
  /** Intent names, in the order of the provider's intents. */
  labels: readonly string[];
  /** Probability of each intent, summing to 1. */
  posterior: number[];
  /** How much of the reason the provider's vocabulary accounts for, 0..1: low for off-topic text. */
  coverage: number;
  /** Content words in the reason (after stop words). */
  words: number;
}

export interface Classifier {
  classify(text: string, hazards?: readonly string[]): Classification;
  /** Words seen in training (to tell a misspelling from a real word). */
  knows(word: string): boolean;
}

/** A reason's word as the classifier reads it: the stem it matched exactly, or the training stems it stands near. */
interface Reading {
  word: string;
  exact?: string;
  near: { stem: string; sim: number }[];
  vector?: Float32Array;
}

export function trainClassifier(intents: readonly IntentDefinition[], vectors: WordVectors, params: ClassifierParams = DEFAULT_PARAMS): Classifier {
  const labels = intents.map((i) => i.name);
  const counts = labels.map(() => new Map<string, number>());
  const totals = labels.map(() => 0);
  const stemOfWord = new Map<string, string>();
  const documentFrequency = new Map<string, number>();
  let documents = 0;
  const count = (k: number, toks: readonly Token[], weight: number) => {
    documents++;
    for (const word of new Set(toks.map((t) => t.word))) documentFrequency.set(word, (documentFrequency.get(word) ?? 0) + 1);
    for (const t of toks) {
      stemOfWord.set(t.word, t.stem);
      counts[k].set(t.stem, (counts[k].get(t.stem) ?? 0) + weight);
      totals[k] += weight;
    }
  };
  const exampleTokens = intents.map((intent) => intent.examples.map(tokens));
  const labelTokens = intents.map((intent) => [...tokens(intent.name.replace(/[_-]+/g, " ")), ...tokens(intent.description)]);
  intents.forEach((intent, k) => {
    for (const toks of exampleTokens[k]) count(k, toks, 1);
    count(k, tokens(intent.name.replace(/[_-]+/g, " ")), params.nameWeight);
    count(k, tokens(intent.description), params.descriptionWeight);
  });
  const vocabulary = new Set(counts.flatMap((c) => [...c.keys()]));
  const denominators = totals.map((t) => t + params.smoothing * vocabulary.size);
  const likelihood = (k: number, stem: string) => ((counts[k].get(stem) ?? 0) + params.smoothing) / denominators[k];
  const idf = (word: string) => Math.log((documents + 1) / ((documentFrequency.get(word) ?? 0) + 1)) + 1;

  const knownWords = [...stemOfWord.keys()];
  // The training words' vectors as one matrix (row r is the word of stem stemIndex[r]): the
  // nearest-neighbour scan is the hot loop of an analysis, so no objects in it.
  const stems = [...vocabulary];
  const indexOfStem = new Map(stems.map((stem, i) => [stem, i]));
  const wordsOfStem = new Map<string, Float32Array[]>();
  const rows: Float32Array[] = [];
  const rowStems: number[] = [];
  for (const [word, stem] of stemOfWord) {
    const vector = vectors.get(word);
    if (!vector) continue;
    rows.push(vector);
    rowStems.push(indexOfStem.get(stem) ?? 0);
    wordsOfStem.set(stem, [...(wordsOfStem.get(stem) ?? []), vector]);
  }
  const dims = vectors.dimensions;
  const matrix = new Float32Array(rows.length * dims);
  rows.forEach((v, r) => matrix.set(v, r * dims));
  const stemIndex = Int32Array.from(rowStems);
  const bestOfStem = new Float32Array(stems.length);

  /** The nearest training stems to a vector, best first, at most `params.neighbours`. */
  const nearest = (vector: Float32Array): { stem: string; sim: number }[] => {
    bestOfStem.fill(-1);
    for (let r = 0, base = 0; r < stemIndex.length; r++, base += dims) {
      let sim = 0;
      for (let d = 0; d < dims; d++) sim += vector[d] * matrix[base + d];
      if (sim > bestOfStem[stemIndex[r]]) bestOfStem[stemIndex[r]] = sim;
    }
    const found: { stem: string; sim: number }[] = [];
    for (let i = 0; i < bestOfStem.length; i++) {
      if (bestOfStem[i] >= params.neighbourFloor) found.push({ stem: stems[i], sim: bestOfStem[i] });
    }
    return found.sort((a, b) => b.sim - a.sim).slice(0, params.neighbours);
  };

  /** Splits a run-together word into two words the vectors or the training know ("autopay" → "auto", "pay"). */
  const parts = (word: string): string[] | undefined => {
    for (let cut = 3; cut <= word.length - 3; cut++) {
      const [a, b] = [word.slice(0, cut), word.slice(cut)];
      if ((vectors.has(a) || stemOfWord.has(a)) && (vectors.has(b) || stemOfWord.has(b))) return [a, b];
    }
    return undefined;
  };

  const read = (token: Token): Reading[] => {
    const { word, stem } = token;
    // A training word itself needs no check; another word of a known stem must be near one of its words.
    if (stemOfWord.get(word) === stem) return [{ word, exact: stem, near: [], vector: vectors.get(word) }];
    const vector = vectors.get(word);
    if (vocabulary.has(stem)) {
      const same = wordsOfStem.get(stem);
      const accident = vector && same && !same.some((v) => dot(v, vector) >= params.collision);
      if (!accident) return [{ word, exact: stem, near: [], vector }];
    }
    if (vector) return [{ word, near: nearest(vector), vector }];
    const fixed = correct(word, knownWords, (w) => stemOfWord.get(w) ?? w);
    if (fixed) return [{ word: fixed, exact: stemOfWord.get(fixed), near: [], vector: vectors.get(fixed) }];
    const split = parts(word);
    if (split) return split.flatMap((w) => read({ word: w, stem: stemOfWord.get(w) ?? stemmer(w) }));
    return [{ word, near: [] }];
  };

  /** IDF-weighted mean of the words' vectors, unit length; undefined when none has one. */
  const embed = (words: readonly { word: string; vector?: Float32Array }[]): Float32Array | undefined => {
    const sum = new Float32Array(dims);
    let any = false;
    for (const { word, vector } of words) {
      if (!vector) continue;
      any = true;
      const w = idf(word);
      for (let d = 0; d < dims; d++) sum[d] += w * vector[d];
    }
    if (!any) return undefined;
    const norm = Math.sqrt(dot(sum, sum)) || 1;
    for (let d = 0; d < dims; d++) sum[d] /= norm;
    return sum;
  };
  const exampleVectors = intents.map((_, k) =>
    [...exampleTokens[k], labelTokens[k]].map((toks) => embed(toks.map((t) => ({ word: t.word, vector: vectors.get(t.word) })))).filter((v): v is Float32Array => v !== undefined),
  );
  // Smooth inverse frequency (Arora et al. 2017): rank / (rank + commonRank), 1 for words rarer than the table.
  const rarity = (word: string) => {
    if (params.commonRank <= 0) return 1;
    const rank = vectors.rank(word);
    return rank === undefined ? 1 : rank / (rank + params.commonRank);
  };
  const anchors = labelTokens.map((toks) =>
    toks.flatMap((t) => {
      const vector = vectors.get(t.word);
      return vector ? [{ vector, weight: rarity(t.word) }] : [];
    }),
  );
  const safetyIntents = labelTokens.map((toks) => toks.some((t) => SAFETY_WORDS.has(t.word)));

  return {
    knows: (word) => stemOfWord.has(word) || vectors.has(word),
    classify(text, hazards = []) {
      const scores = labels.map(() => -Math.log(labels.length));
      const readings = tokens(text).flatMap(read);
      let explained = 0;
      for (const r of readings) {
        explained += r.exact !== undefined ? 1 : (r.near[0]?.sim ?? 0);
        const mix = r.exact !== undefined ? [{ stem: r.exact, sim: 1 }] : r.near;
        if (mix.length === 0) continue;
        const total = mix.reduce((a, m) => a + m.sim, 0);
        for (let k = 0; k < labels.length; k++) {
          let p = 0;
          for (const m of mix) p += (m.sim / total) * likelihood(k, m.stem);
          scores[k] += Math.log(p);
        }
      }
      const query = embed(readings);
      if (query) {
        for (let k = 0; k < labels.length; k++) {
          const closest = exampleVectors[k].map((v) => dot(query, v)).sort((a, b) => b - a).slice(0, params.closestExamples);
          if (closest.length > 0) scores[k] += (params.exampleWeight * closest.reduce((a, b) => a + b, 0)) / closest.length;
        }
      }
      if (params.anchorWeight > 0) {
        for (const r of readings) {
          if (!r.vector) continue;
          const v = r.vector;
          const w = rarity(r.word);
          const sims = anchors.map((as) => w * Math.max(0, ...as.map((a) => a.weight * dot(a.vector, v))));
          const mean = sims.reduce((a, b) => a + b, 0) / sims.length;
          for (let k = 0; k < labels.length; k++) scores[k] += params.anchorWeight * (sims[k] - mean);
        }
      }
      if (hazards.length > 0) for (let k = 0; k < labels.length; k++) if (safetyIntents[k]) scores[k] += params.hazardWeight;
      return { labels, posterior: softmax(scores), coverage: readings.length === 0 ? 0 : explained / readings.length, words: readings.length };
    },
  };
}
