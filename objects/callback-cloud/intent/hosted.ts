/**
 * An adapter for a hosted embedding model (a Workers AI binding) in front of the local
 * engine, off by default: the reason and the intents' examples are embedded by the model
 * (the examples once, then kept), the intent is the one with the closest examples by
 * cosine, and urgency is read as the local engine reads it. On any error, a malformed
 * answer or a timeout, the local engine answers instead.
 */
import { analysisOf, round3, urgencyReader } from "./engine.ts";
import type { IntentAnalysis, IntentDefinition, IntentEngine } from "./types.ts";
import { bundledVectors } from "./vectors.ts";

/** What is used of a Workers AI binding (env.AI). */
export interface AiBinding {
  run(model: string, input: unknown): Promise<unknown>;
}

export interface AsyncIntentEngine {
  analyze(text: string, language?: string): Promise<IntentAnalysis>;
}

export interface HostedOptions {
  /** How long one analysis may wait for the model before the local engine answers (default 1500 ms). */
  timeoutMs?: number;
  /** Mean cosine of an intent's closest examples under which the intent is unknown (default 0.6, for bge-small). */
  threshold?: number;
  /** How many closest examples make an intent's score (default 3). */
  closest?: number;
  /** Told each time the local engine answers instead (for logs and counters). */
  onFallback?: (error: unknown) => void;
}

/** The embeddings out of a Workers AI text-embedding answer ({ shape, data: number[][] }), checked. */
function embeddingsOf(answer: unknown, expected: number): number[][] {
  const data = (answer as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== expected || !data.every((row) => Array.isArray(row) && row.length > 0 && row.every((x) => typeof x === "number"))) {
    throw new Error("the model's answer has no embeddings of the expected shape");
  }
  return data as number[][];
}

function unit(v: readonly number[]): Float64Array {
  const out = Float64Array.from(v);
  const norm = Math.hypot(...out) || 1;
  for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

function cosine(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) s += a[i] * b[i];
  return s;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => {}); // an answer that fails after the timeout is of no interest: not an unhandled rejection
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the model did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function hostedIntentEngine(
  ai: AiBinding,
  intents: readonly IntentDefinition[],
  local: IntentEngine,
  model = "@cf/baai/bge-small-en-v1.5",
  options: HostedOptions = {},
): AsyncIntentEngine {
  const timeoutMs = options.timeoutMs ?? 1500;
  const threshold = options.threshold ?? 0.6;
  const closest = options.closest ?? 3;
  const vectors = bundledVectors();
  const urgency = urgencyReader(intents, (w) => vectors.has(w));
  const labelled = intents.flatMap((intent) => [...intent.examples, `${intent.name}: ${intent.description}`].map((text) => ({ intent: intent.name, text })));
  let examples: Promise<{ intent: string; vector: Float64Array }[]> | null = null;

  const embedExamples = () => {
    // Kept once it worked; forgotten when it failed, so that the next analysis tries again.
    examples ??= ai
      .run(model, { text: labelled.map((l) => l.text) })
      .then((answer) => embeddingsOf(answer, labelled.length).map((v, i) => ({ intent: labelled[i].intent, vector: unit(v) })))
      .catch((err: unknown) => {
        examples = null;
        throw err;
      });
    return examples;
  };

  const hosted = async (text: string, language: string): Promise<IntentAnalysis> => {
    const [known, answer] = await Promise.all([embedExamples(), ai.run(model, { text: [text] })]);
    const query = unit(embeddingsOf(answer, 1)[0]);
    const ranked = intents
      .map((intent) => {
        const sims = known.filter((e) => e.intent === intent.name).map((e) => cosine(query, e.vector)).sort((a, b) => b - a).slice(0, closest);
        return { name: intent.name, confidence: round3(sims.length === 0 ? 0 : sims.reduce((a, b) => a + b, 0) / sims.length) };
      })
      .sort((a, b) => b.confidence - a.confidence);
    return analysisOf(intents, ranked, threshold, urgency(text), language);
  };

  return {
    async analyze(text, language = "en") {
      try {
        return await withTimeout(hosted(text, language), timeoutMs);
      } catch (err) {
        options.onFallback?.(err);
        return local.analyze(text, language);
      }
    },
  };
}
