/**
 * Typo tolerance: a word the engine does not know is read as the known word within a
 * small edit distance (fastest-levenshtein), when there is exactly one nearest.
 */
import { distance } from "fastest-levenshtein";

/** How many edits a word of this length may carry and still be recognised: none under 4 letters. */
export const allowedEdits = (length: number): number => (length < 4 ? 0 : length < 8 ? 1 : 2);

/** The single known word nearest to `word` within the allowed edits, or undefined (none, or a tie between stems). */
export function correct(word: string, known: readonly string[], stemOf: (w: string) => string): string | undefined {
  const budget = allowedEdits(word.length);
  if (budget === 0) return undefined;
  let best: string | undefined;
  let bestDistance = budget + 1;
  let tied = false;
  for (const candidate of known) {
    if (Math.abs(candidate.length - word.length) > budget || candidate[0] !== word[0]) continue;
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
      tied = false;
    } else if (d === bestDistance && best !== undefined && stemOf(candidate) !== stemOf(best)) {
      tied = true;
    }
  }
  return tied ? undefined : best;
}
