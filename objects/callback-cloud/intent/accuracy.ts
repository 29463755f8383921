/**
 * Measuring an intent classifier against labelled reasons (test/fixtures/intent-reasons.json):
 * shared by the unit tests and the benchmark, so both report the same figures.
 */
export interface LabelledReason {
  text: string;
  intent: string;
}

export interface Accuracy {
  /** Share of the reasons labelled with one of the provider's intents that got that intent. */
  overall: number;
  correct: number;
  total: number;
  /** The same per intent. */
  perIntent: Record<string, { correct: number; total: number }>;
  /** The reasons it got wrong, with what it said. */
  misses: { text: string; expected: string; got: string }[];
}

/** Accuracy over the reasons whose label is one of `intents` (the others, such as `unknown`, are left out). */
export function accuracyOf(classify: (text: string) => string, reasons: readonly LabelledReason[], intents: readonly string[]): Accuracy {
  const perIntent: Accuracy["perIntent"] = Object.fromEntries(intents.map((name) => [name, { correct: 0, total: 0 }]));
  const misses: Accuracy["misses"] = [];
  let correct = 0;
  let total = 0;
  for (const r of reasons) {
    const slot = perIntent[r.intent];
    if (!slot) continue;
    const got = classify(r.text);
    total++;
    slot.total++;
    if (got === r.intent) {
      correct++;
      slot.correct++;
    } else {
      misses.push({ text: r.text, expected: r.intent, got });
    }
  }
  return { overall: total === 0 ? 0 : correct / total, correct, total, perIntent, misses };
}
