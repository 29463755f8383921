/**
 * Multinomial naive Bayes with Laplace (add-one) smoothing: the yardstick the intent
 * engine is measured against (tests and bench), and nothing more. Documents are bags
 * of features (here, stems); weights let a caller count a document more than once.
 */
import type { IntentDefinition } from "./types.ts";
import { stems } from "./tokens.ts";

export interface LabelledDocument {
  label: string;
  features: readonly string[];
  /** How many times the document counts (default 1). */
  weight?: number;
}

export interface NaiveBayes {
  labels: readonly string[];
  /** log P(label) + Σ log P(feature | label) per label, in `labels` order; features never seen in training are skipped. */
  logScores(features: readonly string[]): number[];
  /** The same as probabilities (softmax of the log scores). */
  posterior(features: readonly string[]): number[];
}

export function trainNaiveBayes(docs: readonly LabelledDocument[]): NaiveBayes {
  const labels = [...new Set(docs.map((d) => d.label))];
  const counts = labels.map(() => new Map<string, number>());
  const totals = labels.map(() => 0);
  const docWeights = labels.map(() => 0);
  const vocabulary = new Set<string>();
  for (const doc of docs) {
    const k = labels.indexOf(doc.label);
    const w = doc.weight ?? 1;
    docWeights[k] += w;
    for (const f of doc.features) {
      vocabulary.add(f);
      counts[k].set(f, (counts[k].get(f) ?? 0) + w);
      totals[k] += w;
    }
  }
  const allDocs = docWeights.reduce((a, b) => a + b, 0);
  const logPrior = docWeights.map((w) => Math.log(w / allDocs));
  const denominators = totals.map((t) => t + vocabulary.size);
  const logLikelihood = (k: number, f: string) => Math.log(((counts[k].get(f) ?? 0) + 1) / denominators[k]);
  const logScores = (features: readonly string[]) =>
    labels.map((_, k) => {
      let s = logPrior[k];
      for (const f of features) if (vocabulary.has(f)) s += logLikelihood(k, f);
      return s;
    });
  return { labels, logScores, posterior: (features) => softmax(logScores(features)) };
}

export function softmax(scores: readonly number[]): number[] {
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** The baseline: one document per example, stems only, the best label whatever its probability. */
export function trainBaseline(intents: readonly IntentDefinition[]): { classify(text: string): { name: string; confidence: number } } {
  const nb = trainNaiveBayes(intents.flatMap((i) => i.examples.map((e) => ({ label: i.name, features: stems(e) }))));
  return {
    classify(text) {
      const p = nb.posterior(stems(text));
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
      return { name: nb.labels[best], confidence: p[best] };
    },
  };
}
