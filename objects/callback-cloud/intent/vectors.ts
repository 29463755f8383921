/**
 * Word vectors as the engine uses them: unit length, looked up by lower-case word.
 * The bundled table (glove-vectors.json, made by scripts/trim-vectors.ts) is decoded
 * once per isolate, on first use: about 1 MB of int8s, a few milliseconds.
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

/** A table of int8 rows (each a unit vector × 127), one per word, most frequent word first. */
export function quantizedVectors(words: readonly string[], dimensions: number, bytes: Int8Array): WordVectors {
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
        v[d] = bytes[i * dimensions + d];
        norm += v[d] * v[d];
      }
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < dimensions; d++) v[d] /= norm;
      return v;
    },
  };
}

let bundled: WordVectors | undefined;

/** The bundled GloVe table (20k words × 64 dimensions unless the script was run otherwise). */
export function bundledVectors(): WordVectors {
  if (!bundled) {
    const binary = atob(glove.vectors);
    const bytes = new Int8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i) << 24 >> 24;
    bundled = quantizedVectors(glove.words.split(" "), glove.dimensions, bytes);
  }
  return bundled;
}
