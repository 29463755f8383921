import { describe, expect, it } from "vitest";
import { MAX_ORDINAL, MAX_SHARDS, newConfirmation, normalizeConfirmation, placeOf } from "../../objects/callback-cloud/confirmation.ts";
import { shardForKey, shardName } from "../../objects/callback-cloud/shards.ts";

describe("a confirmation number says where its callback lives", () => {
  it("carries the provider's ordinal and the shard, read back from what a customer types", () => {
    for (const [ordinal, shard] of [[0, 0], [1, 3], [MAX_ORDINAL, MAX_SHARDS - 1], [617, 9]]) {
      const confirmation = newConfirmation(ordinal, shard);
      expect(confirmation).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      const typed = normalizeConfirmation(confirmation.toLowerCase().replaceAll("-", " ").replaceAll("1", "l"));
      expect(typed).toBe(confirmation);
      expect(placeOf(typed!)).toEqual({ ordinal, shard });
    }
  });

  it("refuses an ordinal or a shard the number cannot carry", () => {
    expect(() => newConfirmation(MAX_ORDINAL + 1, 0)).toThrow(RangeError);
    expect(() => newConfirmation(0, MAX_SHARDS)).toThrow(RangeError);
    expect(() => newConfirmation(0, -1)).toThrow(RangeError);
  });
});

describe("customers spread over a provider's shards", () => {
  it("routes the same customer to the same shard every time, and one shard when there is one", () => {
    expect(shardForKey("user-42", 4)).toBe(shardForKey("user-42", 4));
    expect(new Set(Array.from({ length: 50 }, (_, i) => shardForKey(`user-${i}`, 1)))).toEqual(new Set([0]));
  });

  it("spreads 10,000 customers over 4 shards within 10% of even, ids alike but for their ends", () => {
    for (const idOf of [(i: number) => `user-${i}`, (i: number) => `customer.${String(i).padStart(8, "0")}@example.com`]) {
      const counts = [0, 0, 0, 0];
      for (let i = 0; i < 10_000; i++) counts[shardForKey(idOf(i), 4)]++;
      for (const n of counts) expect(Math.abs(n - 2500) / 2500).toBeLessThanOrEqual(0.1);
    }
  });

  it("uses every shard up to the most a provider may have", () => {
    const used = new Set(Array.from({ length: 2000 }, (_, i) => shardForKey(`u${i}`, MAX_SHARDS)));
    expect(used.size).toBe(MAX_SHARDS);
    expect(shardName("acme", 3)).toBe("acme/3");
  });
});
