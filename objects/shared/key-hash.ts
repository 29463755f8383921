/** The SHA-256 of a text, in hex: what a request's fingerprint or a derived key is made of. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Which of N buckets a key falls in, the same everywhere (edge Worker, objects, tests):
 * FNV-1a over its UTF-16 units, then a final avalanche. Callback shards and rate
 * limiter objects are both chosen by it.
 */
export function bucketOf(key: string, buckets: number): number {
  if (buckets <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV's low bits follow the last characters closely; mix so that keys differing only at the end spread too.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) % buckets;
}
