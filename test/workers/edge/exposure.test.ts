/**
 * A member's exposure cap holds: a partner capped at `public` is bookable (its
 * summary counts, and it chooses its own agent when the cloud reserves there) but
 * none of its agents is listed outside it — not in the digests the others keep, not
 * in GraphQL, to ops or to other partners.
 */
import { describe, expect, it } from "vitest";
import { edge, requestCallback, site, status } from "./contract.ts";
import { ADMIN, gossip, PEER, PEERS, registerAcme, staff } from "./helpers.ts";


describe("a member capped at public exposure", () => {
  it("is booked by its own choice, and lists no agent outside it, in digests or GraphQL", async () => {
    await registerAcme();
    await edge("POST", "/v1/federation/members", { siteId: "paris", peerId: PEERS.paris }, ADMIN);
    await edge("POST", "/v1/federation/members", { siteId: "manila", peerId: PEERS.manila }, ADMIN);
    await edge("POST", "/v1/federation/members", { siteId: "austin", peerId: PEERS.austin, trust: "partner", exposure: "public" }, ADMIN);
    // The signed list reaches every site, as its peer would bring it.
    const { jws } = (await edge("GET", "/federation/membership", undefined, PEER)).body;
    for (const s of ["paris", "austin", "manila"]) expect((await site(s, "POST", "/federation/membership", { jws }, PEER)).status).toBe(200);

    // Only Austin has a repairer, and it is federated there: the cap decides.
    const bo = await staff("austin", "bo", { appliance_repair: 4 });
    await staff("paris", "dee", { billing: 2 });
    for (const s of ["paris", "austin", "manila"]) await gossip(s);

    // The edge keeps Austin's summary, not its agents.
    const mesh = (await edge("GET", "/v1/mesh", undefined, ADMIN)).body.members as { siteId: string; health: string; agents: { total: number } }[];
    expect(mesh.find((m) => m.siteId === "austin")).toMatchObject({ health: "up", agents: { total: 0 } });
    expect(mesh.find((m) => m.siteId === "paris")).toMatchObject({ agents: { total: 1 } });
    // Even a digest that lists them (a site that does not know its cap yet) is kept without them.
    const listing = { ...(await site("austin", "GET", "/federation/digest", undefined, PEER)).body };
    listing.seq += 1000;
    listing.agents = [{ ref: bo, skills: { appliance_repair: 4 }, channels: ["voice"], languages: ["en"], state: "available", expectedAvailableAtMs: null, capacity: 1, freeCapacity: 1 }];
    expect((await edge("POST", "/federation/digests", { digests: [listing] }, PEER)).body.accepted).toBe(1);
    expect(((await edge("GET", "/v1/mesh", undefined, ADMIN)).body.members as any[]).find((m) => m.siteId === "austin").agents.total).toBe(0);

    // Still bookable: the plan cannot name Austin's agent, so Austin chooses its own.
    const { body } = await requestCallback();
    const planned = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(planned.status).toBe("scheduled");
    expect(planned.agent).toEqual({ id: bo, siteId: "austin" });

    // GraphQL: nobody outside Austin lists its agents, not even the edge's ops; Paris's are listed as before.
    const ops = (await edge("POST", "/v1/tokens", { role: "ops", name: "night lead" }, ADMIN)).body.token;
    const agents = await edge("POST", "/graphql", { query: "{ agents { id siteId } }" }, ops, { accept: "application/graphql-response+json" });
    expect(agents.body.errors).toBeUndefined();
    expect(agents.body.data.agents.map((a: any) => a.siteId)).toEqual(["paris"]);
    expect(JSON.stringify(agents.body)).not.toContain(bo);
    // Its own staff see it whole.
    const austinStaff = (await edge("POST", "/v1/tokens", { role: "partner", siteId: "austin" }, ADMIN)).body.token;
    const own = await edge("POST", "/graphql", { query: "{ agents { id siteId } }" }, austinStaff, { accept: "application/graphql-response+json" });
    expect(own.body.data.agents).toEqual(expect.arrayContaining([{ id: bo, siteId: "austin" }]));
  });
});
