/**
 * Word vectors as the engine uses them: unit length, looked up by lower-case word.
 * The bundled table (glove-vectors.json, made by scripts/trim-vectors.ts) is decoded
 * once per isolate, on first use: 20k words × 64 components of 4 bits, a few milliseconds.
 */
import glove from "./glove-vectors.json" with { type: "json" };

export interface WordVectors {
  dimensions: number;
  /** The unit vector of a word, or undefined when the table does not have it. */
  get(word: string): Float32Array | undefined;
  has(word: string): boolean;
  /** The word's frequency rank in the corpus the vectors came from (0 for the most frequent), or undefined. */
  rank(word: string): number | undefined;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** A table of quantized rows (int8, or 4-bit codes times `step`), one per word, most frequent word first. */
export function quantizedVectors(words: readonly string[], dimensions: number, components: (at: number) => number): WordVectors {
  const row = new Map<string, number>();
  words.forEach((w, i) => row.set(w, i));
  return {
    dimensions,
    has: (word) => row.has(word),
    rank: (word) => row.get(word),
    get(word) {
      const i = row.get(word);
      if (i === undefined) return undefined;
      const v = new Float32Array(dimensions);
      let norm = 0;
      for (let d = 0; d < dimensions; d++) {
        v[d] = components(i * dimensions + d);
        norm += v[d] * v[d];
      }
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < dimensions; d++) v[d] /= norm;
      return v;
    },
  };
}

let bundled: WordVectors | undefined;

/** The bundled GloVe table (20k words × 64 dimensions × 4 bits unless the script was run otherwise). */
export function bundledVectors(): WordVectors {
  if (!bundled) {
    const binary = atob(glove.vectors);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const { bits, step } = glove as { bits?: number; step?: number };
    const components =
      bits === 4
        ? (at: number) => (((bytes[at >> 1] >> (at & 1 ? 0 : 4)) & 15) - 7.5) * (step ?? 1)
        : (at: number) => (bytes[at] << 24) >> 24;
    bundled = quantizedVectors(glove.words.split(" "), glove.dimensions, components);
  }
  return bundled;
}
