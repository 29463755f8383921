/**
 * A provider's callbacks spread over its shards: each customer's callbacks live on one
 * shard (its confirmation says which), every route finds them there, lists merge
 * across shards with cursors that hold, and the count of shards grows but never shrinks.
 */
import { describe, expect, it } from "vitest";
import { newConfirmation, placeOf } from "../../../objects/callback-cloud/confirmation.ts";
import { shardForKey } from "../../../objects/callback-cloud/shards.ts";
import { edge, offer, requestOnly, status } from "./contract.ts";
import { ACME, ADMIN, edgeEnv, planNow, registerAcme, ROOMY_LIMITS, staff } from "./helpers.ts";

const USERS = Array.from({ length: 12 }, (_, i) => `customer-${i}`);

/** One callback per customer, each asked with that customer's offer. */
async function callbacksOfCustomers(users: readonly string[]) {
  const made: { userId: string; confirmation: string; verifier: string; key: string; indicia: string }[] = [];
  for (const userId of users) {
    const indicia = (await offer("my washing machine stopped spinning", userId)).body.token as string;
    const key = `shards-${userId}`;
    const answer = await requestOnly({ indicia }, key);
    expect(answer.status).toBe(201);
    made.push({ userId, confirmation: answer.body.confirmation, verifier: answer.body.verifier, key, indicia });
  }
  return made;
}

async function gql(query: string, variables?: Record<string, unknown>) {
  const answer = await edge("POST", "/graphql", { query, variables }, ADMIN);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data;
}

describe("a provider with four callback shards", () => {
  it("keeps each customer's callbacks on the customer's shard, and every route finds them there", async () => {
    await registerAcme({ shards: 4 });
    await staff("austin", "ana", { appliance_repair: 4 }, { capacity: 20 });
    const made = await callbacksOfCustomers(USERS);

    const expected = USERS.map((u) => shardForKey(u, 4));
    expect(made.map((m) => placeOf(m.confirmation).shard)).toEqual(expected);
    // Twelve customers land on more than one shard (the hash is fixed, so this is too).
    expect(new Set(expected).size).toBeGreaterThan(1);

    // A retry of the same request reaches the same shard and answers the same callback.
    const again = await requestOnly({ indicia: made[3].indicia }, made[3].key);
    expect(again.body.confirmation).toBe(made[3].confirmation);

    // Each shard plans its own callbacks in its own alarm.
    expect(await planNow()).toBe(true);
    for (const m of made) {
      const view = (await status(m.confirmation, m.verifier)).body;
      expect(view.status).toBe("scheduled");
    }
    const cancelled = await edge("DELETE", `/v1/callbacks/${made[5].confirmation}?verifier=${encodeURIComponent(made[5].verifier)}`);
    expect(cancelled.body.status).toBe("cancelled");
    const noted = await edge("POST", `/v1/callbacks/${made[7].confirmation}/annotations`, { text: "called from the shop" }, ADMIN);
    expect(noted.status).toBe(200);

    // A confirmation naming a shard the provider does not have is unknown, and reaching for it creates nothing.
    const before = (await edgeEnv.DIRECTORY.getByName("providers").locate("acme"))!;
    const beyond = newConfirmation(before.ordinal, 9);
    expect((await edge("GET", `/v1/callbacks/${beyond}`, undefined, ADMIN)).status).toBe(404);
  });

  it("lists callbacks across shards newest first, paging with cursors that miss and repeat nothing", async () => {
    const clock = await registerAcme({ shards: 4 });
    await staff("austin", "ana", { appliance_repair: 4 }, { capacity: 20 });
    const made = [];
    // Two at each instant: ties in time are ordered by confirmation, across shards alike.
    for (let i = 0; i < USERS.length; i += 2) {
      made.push(...(await callbacksOfCustomers(USERS.slice(i, i + 2))));
      await clock.advance(1000);
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const data: any = await gql(
        "query($after: String) { callbacks(first: 5, after: $after) { nodes { confirmation createdAt } pageInfo { hasNextPage endCursor } } }",
        { after },
      );
      seen.push(...data.callbacks.nodes.map((n: { confirmation: string }) => n.confirmation));
      if (!data.callbacks.pageInfo.hasNextPage) break;
      after = data.callbacks.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(USERS.length);
    expect(new Set(seen)).toEqual(new Set(made.map((m) => m.confirmation)));
    // Newest first: the last pair asked comes first.
    expect(seen.slice(0, 2).sort()).toEqual(made.slice(-2).map((m) => m.confirmation).sort());

    const one = await gql(`{ callback(confirmation: "${made[9].confirmation}") { confirmation providerId } }`);
    expect(one.callback).toEqual({ confirmation: made[9].confirmation, providerId: "acme" });
  });
});

describe("the number of shards", () => {
  it("grows but never shrinks, and a registration without it keeps the count", async () => {
    await registerAcme({ shards: 2 });
    const made = await callbacksOfCustomers(USERS.slice(0, 4));

    const shrink = await edge("POST", "/v1/providers", { ...ACME, shards: 1 }, ADMIN);
    expect(shrink.status).toBe(409);
    expect(shrink.body.error).toMatchObject({ code: "shards_cannot_shrink", details: { shards: 2 } });

    const same = await edge("POST", "/v1/providers", { ...ACME, limits: ROOMY_LIMITS, name: "Acme, renamed" }, ADMIN);
    expect(same.status).toBe(200);
    expect(same.body.shards).toBe(2);
    expect((await edge("GET", "/v1/providers/acme")).body).toMatchObject({ name: "Acme, renamed", shards: 2 });

    const grown = await edge("POST", "/v1/providers", { ...ACME, limits: ROOMY_LIMITS, shards: 5 }, ADMIN);
    expect(grown.body.shards).toBe(5);
    // The callbacks made before keep their shards; the new ones spread over five.
    for (const m of made) expect((await status(m.confirmation, m.verifier)).status).toBe(200);
    const later = await callbacksOfCustomers(USERS.slice(4));
    expect(later.map((m) => placeOf(m.confirmation).shard)).toEqual(USERS.slice(4).map((u) => shardForKey(u, 5)));
    for (const m of later) expect((await status(m.confirmation, m.verifier)).status).toBe(200);

    const tooMany = await edge("POST", "/v1/providers", { ...ACME, shards: 17 }, ADMIN);
    expect(tooMany.status).toBe(400);
  });
});
