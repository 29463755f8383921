/**
 * Event webhooks on the local mesh, to a real HTTP receiver on loopback that verifies each
 * delivery with the Standard Webhooks specification's own library (an implementation
 * independent of the edge's): a callback's events arrive signed and in order; a receiver that
 * refuses for a while gets every event once it answers again, repeats dropped by webhook-id.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acmeAllDay, call, eventually, freshMesh } from "./mesh-client.ts";
import { PORTS } from "./ports.ts";

let mesh: Mesh;
let stop: () => Promise<void>;
let receiver: Server;
/** The receiver's state: its secret (once subscribed), whether it answers, and what it took. */
const state = { secret: "", refusing: false, verified: [] as { id: string; type: string; confirmation: string }[], refused: 0, bad: 0 };

beforeAll(async () => {
  ({ mesh, stop } = await freshMesh("webhooks", PORTS.webhooks.edge, PORTS.webhooks.site));
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      if (state.refusing) {
        state.refused++;
        res.writeHead(503).end();
        return;
      }
      try {
        const payload = new Webhook(state.secret).verify(body, req.headers as Record<string, string>) as { type: string; data: { confirmation: string } };
        const id = String(req.headers["webhook-id"]);
        // At least once: a repeat (same webhook-id) is acknowledged and dropped.
        if (!state.verified.some((v) => v.id === id)) state.verified.push({ id, type: payload.type, confirmation: payload.data.confirmation });
        res.writeHead(204).end();
      } catch {
        state.bad++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(PORTS.webhooks.receiver, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await stop?.();
});

describe("event webhooks on the local mesh", () => {
  it("reach a real receiver signed and in order, and every one arrives after it refused for a while", async () => {
    const admin = { authorization: `Bearer ${mesh.adminToken}` };
    expect((await call(mesh.urls.edge, "POST", "/v1/providers", await acmeAllDay("acme"), admin)).status).toBe(201);
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const sub = await call(mesh.urls.edge, "POST", "/v1/providers/acme/subscriptions", { url, events: ["callback.requested", "callback.scheduled", "callback.cancelled"] }, admin);
    expect(sub.status).toBe(201);
    state.secret = sub.body.secret;

    const agent = { name: "Ana", skills: { appliance_repair: 5 }, channels: ["voice"], languages: ["en"] };
    await call(mesh.urls.sites.paris, "PUT", "/v1/agents/ana", agent, admin);
    await call(mesh.urls.sites.paris, "POST", "/v1/agents/ana/status", { state: "available" }, admin);
    await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin)).body.members as { siteId: string; agents: { available: number } }[],
      (ms) => ms.some((m) => m.siteId === "paris" && m.agents.available >= 1),
    );
    const ask = async (user: string) => {
      const offer = await call(mesh.urls.edge, "POST", "/v1/interactions", { providerId: "acme", user: { id: user } });
      const start = new Date(Date.now() + 3 * 3600_000);
      const when = { start: start.toISOString(), end: new Date(start.getTime() + 3600_000).toISOString() };
      const created = await call(mesh.urls.edge, "POST", "/v1/callbacks", { indicia: offer.body.token, when, media: ["voice"], contact: { phone: "+15125550142" }, reason: "my washer is broken" }, { "idempotency-key": crypto.randomUUID() });
      expect(created.status).toBe(201);
      return created.body as { confirmation: string; verifier: string };
    };

    const first = await ask("u-first");
    await eventually(async () => state.verified.filter((v) => v.confirmation === first.confirmation).map((v) => v.type), (types) => types.length === 2);
    expect(state.verified.map((v) => v.type)).toEqual(["callback.requested", "callback.scheduled"]);

    // The receiver refuses for a while; meanwhile a callback is asked for and cancelled.
    state.refusing = true;
    const second = await ask("u-second");
    await eventually(async () => state.refused, (n) => n >= 1);
    const statusPath = `/v1/callbacks/${second.confirmation}?verifier=${encodeURIComponent(second.verifier)}`;
    await eventually(async () => (await call(mesh.urls.edge, "GET", statusPath)).body.status, (s) => s === "scheduled");
    await call(mesh.urls.edge, "DELETE", `/v1/callbacks/${second.confirmation}?verifier=${encodeURIComponent(second.verifier)}`);
    const pending = await call(mesh.urls.edge, "GET", "/v1/providers/acme/deliveries?status=pending", undefined, admin);
    expect(pending.body.deliveries.length).toBeGreaterThanOrEqual(1);
    state.refusing = false;

    // Back: the retry (5 s, then 30 s after) brings all three of the second callback's events, in order.
    const theirs = await eventually(
      async () => state.verified.filter((v) => v.confirmation === second.confirmation).map((v) => v.type),
      (types) => types.length === 3,
      60_000,
    );
    expect(theirs).toEqual(["callback.requested", "callback.scheduled", "callback.cancelled"]);
    expect(state.bad).toBe(0);
    const failed = await call(mesh.urls.edge, "GET", "/v1/providers/acme/deliveries?status=failed", undefined, admin);
    expect(failed.body.deliveries).toEqual([]);
  }, 120_000);
});
