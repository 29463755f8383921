/**
 * How a provider's callbacks spread over its shards: a customer's offer and requests go
 * to the shard the customer's id hashes to (so a retry, and the offer's count of
 * callbacks, meet in one object), and each shard is a Durable Object named for the
 * provider and its index. Pure: the edge and the tests share it.
 */
import { bucketOf } from "../shared/key-hash.ts";
export { MAX_SHARDS } from "./confirmation.ts";

/** The Durable Object name of a provider's shard. */
export const shardName = (providerId: string, shard: number) => `${providerId}/${shard}`;

/** The shard (0..shards-1) a customer's key routes to (objects/shared/key-hash.ts). */
export const shardForKey = (key: string, shards: number): number => bucketOf(key, shards);

/** Every shard index of a provider with `shards` shards. */
export const shardIndexes = (shards: number) => Array.from({ length: Math.max(1, shards) }, (_, i) => i);
