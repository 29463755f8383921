/**
 * How a provider's callbacks spread over its shards: a new request goes to the shard
 * its Idempotency-Key hashes to (so a retry reaches the same shard, and one busy
 * customer does not pile onto one object), and each shard is a Durable Object named
 * for the provider and its index. Pure: the edge and the tests share it.
 */
export { MAX_SHARDS } from "./confirmation.ts";

/** The Durable Object name of a provider's shard. */
export const shardName = (providerId: string, shard: number) => `${providerId}/${shard}`;

/** The shard (0..shards-1) a key routes to: FNV-1a over its UTF-16 units, then a final avalanche. */
export function shardForKey(key: string, shards: number): number {
  if (shards <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV's low bits follow the last characters closely; mix so that keys differing only at the end spread too.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) % shards;
}

/** Every shard index of a provider with `shards` shards. */
export const shardIndexes = (shards: number) => Array.from({ length: Math.max(1, shards) }, (_, i) => i);
