/**
 * The federated schema on the local mesh: the edge and three sites in their own
 * workerd processes, members registered by their peers (with their subgraph URLs).
 * Ops asks one query at the edge for the agents of every site with the callbacks
 * they hold; then a site's Worker dies and the same query answers with the others
 * and an error naming it. Its ports are its own (ports.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { acmeAllDay, call, eventually as within, freshMesh } from "./mesh-client.ts";
import { PORTS } from "./ports.ts";

let mesh: Mesh;
let stop: () => Promise<void>;

const admin = () => ({ authorization: `Bearer ${mesh.adminToken}` });
const gql = (query: string) => call(mesh.urls.edge, "POST", "/graphql", { query }, admin());
const eventually = <T,>(read: () => Promise<T>, check: (value: T) => boolean) => within(read, check, 20_000);

beforeAll(async () => {
  ({ mesh, stop } = await freshMesh("graphql", PORTS.graphql.edge, PORTS.graphql.site));
});

afterAll(async () => {
  await stop?.();
});

const QUERY = "{ agents(skill: \"appliance_repair\") { id siteId name state site { id } callbacks { confirmation status agent { siteId } } } }";

describe("the federated schema on the local mesh", () => {
  it("answers ops, in one query at the edge, the agents of every site with the callbacks they hold", async () => {
    // Scheduled a day ahead: nothing fires (or completes) while the test reads it.
    const provider = await acmeAllDay("acme-graph");
    expect((await call(mesh.urls.edge, "POST", "/v1/providers", provider, admin())).status).toBe(201);
    const staffed = [
      ["paris", "ana", 5],
      ["austin", "bo", 4],
      ["manila", "cy", 3],
    ] as const;
    for (const [siteId, agentId, level] of staffed) {
      const base = mesh.urls.sites[siteId];
      const put = await call(base, "PUT", `/v1/agents/${agentId}`, { name: `Agent ${agentId}`, skills: { appliance_repair: level }, channels: ["voice"], languages: ["en"] }, admin());
      expect(put.status).toBe(201);
      expect((await call(base, "POST", `/v1/agents/${agentId}/status`, { state: "available" }, admin())).status).toBe(200);
    }
    // Every site's roster reached the edge's mesh view, so planning sees all three.
    await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; agents: { available: number } }[],
      (members) => ["paris", "austin", "manila"].every((s) => members.find((m) => m.siteId === s)?.agents.available === 1),
    );
    const start = new Date(Date.now() + 86_400_000);
    start.setUTCMinutes(0, 0, 0);
    const when = { start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() };
    const confirmations: string[] = [];
    for (let i = 0; i < 3; i++) {
      const offer = await call(mesh.urls.edge, "POST", "/v1/interactions", { providerId: "acme-graph", user: { id: `u${i}` } });
      const created = await call(
        mesh.urls.edge,
        "POST",
        "/v1/callbacks",
        { indicia: offer.body.token, when, media: ["voice"], contact: { phone: "+15125550142" }, reason: "my dryer makes a loud banging noise" },
        { "idempotency-key": `graph-${i}-${crypto.randomUUID()}` },
      );
      expect(created.status).toBe(201);
      confirmations.push(created.body.confirmation);
    }
    // Answered before the plan; the cloud's alarm plans them at once.
    for (const c of confirmations) {
      await eventually(() => call(mesh.urls.edge, "GET", `/v1/callbacks/${c}`, undefined, admin()), (r) => r.body.agent != null);
    }

    const { status, body } = await gql(QUERY);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const agents = body.data.agents as { siteId: string; name: string; callbacks: { confirmation: string; agent: { siteId: string } }[] }[];
    expect(agents.map((a) => a.siteId).sort()).toEqual(["austin", "manila", "paris"]);
    const held = agents.flatMap((a) => a.callbacks.map((c) => ({ ...c, holder: a.siteId })));
    expect(held.map((c) => c.confirmation).sort()).toEqual([...confirmations].sort());
    for (const c of held) expect(c.agent.siteId).toBe(c.holder);
  });

  it("answers with the other sites' data and an error naming a site whose Worker died", async () => {
    await mesh.stopSite("manila");
    const { status, body } = await gql(QUERY);
    expect(status).toBe(200);
    expect(body.data.agents.map((a: { siteId: string }) => a.siteId).sort()).toEqual(["austin", "paris"]);
    expect(body.errors).toEqual([expect.objectContaining({ path: ["agents"], extensions: expect.objectContaining({ code: "site_unreachable", siteId: "manila" }) })]);
    // Its port is closed: refused at once, not waited for until the gateway's timeout ("did not answer within …").
    expect(body.errors[0].message).toBe("site manila could not be reached");
  });
});
