import { runDurableObjectAlarm, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { api, report } from "./contract.ts";
import { ADMIN, CLOUD, cloudToken, iso, PEER, putAgent, roster, T0, useClock } from "./helpers.ts";

const SLOT = { start: iso(T0 + 15 * 60_000), end: iso(T0 + 30 * 60_000) };
const reserve = (body: Record<string, unknown>, token: string | null = CLOUD) =>
  api("POST", "/federation/reservations", { skill: "appliance_repair", channel: "voice", ...SLOT, ...body }, token);

describe("reservations", () => {
  it("lets exactly capacity of 100 concurrent requests for one agent and one slot win", async () => {
    await useClock();
    const agent = await putAgent("ana", { capacity: 3 });
    await report("ana", "available");
    const token = await cloudToken();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        SELF.fetch("http://paris.test/federation/reservations", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ callbackId: `cb-${i}`, agentId: agent.ref, skill: "appliance_repair", channel: "voice", ...SLOT }),
        }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(97);
    const refused = await answers.find((r) => r.status === 409)!.json<any>();
    expect(refused.error.code).toBe("no_capacity");
    // The next slot is still free.
    expect((await reserve({ callbackId: "cb-next", start: SLOT.end, end: iso(T0 + 45 * 60_000) })).status).toBe(201);
  });

  it("picks the strongest agent with the skill and channel when none is named", async () => {
    await useClock();
    await putAgent("ana", { skills: { appliance_repair: 2 } });
    await putAgent("bo", { skills: { appliance_repair: 5 } });
    await putAgent("cy", { skills: { appliance_repair: 5 }, channels: ["email"] });
    await putAgent("dee", { skills: { appliance_repair: 5 }, exposure: "internal" });
    for (const id of ["ana", "bo", "cy", "dee"]) await report(id, "available");
    const bo = (await api("GET", "/v1/agents/bo")).body;
    const first = await reserve({ callbackId: "cb-1" });
    expect(first.status).toBe(201);
    expect(first.body.agentId).toBe(bo.ref);
    // Bo is taken for that slot; Ana is next. Cy lacks voice, Dee is internal.
    const second = await reserve({ callbackId: "cb-2" });
    expect(second.body.agentId).toBe((await api("GET", "/v1/agents/ana")).body.ref);
    expect((await reserve({ callbackId: "cb-3" })).status).toBe(409);
  });

  it("chooses as the cloud's scheduler would when told what it weighs: level, language, the previous agent, the provider's weights", async () => {
    await useClock();
    await putAgent("ana", { skills: { appliance_repair: 4 }, languages: ["en"] });
    await putAgent("bo", { skills: { appliance_repair: 3 }, languages: ["en", "fr"] });
    await putAgent("cy", { skills: { appliance_repair: 3 }, languages: ["en"] });
    for (const id of ["ana", "bo", "cy"]) await report(id, "available");
    const ref = async (id: string) => (await api("GET", `/v1/agents/${id}`)).body.ref as string;
    // Alone, the strongest; for a French speaker needing level 3, the one who speaks French
    // (skill 0.8 × 40 for Ana against 0.6 × 40 + 10 for Bo, under the default weights).
    expect((await reserve({ callbackId: "cb-en" })).body.agentId).toBe(await ref("ana"));
    expect((await reserve({ callbackId: "cb-fr", start: SLOT.end, end: iso(T0 + 45 * 60_000), choose: { level: 3, language: "fr" } })).body.agentId).toBe(
      await ref("bo"),
    );
    // The customer's previous agent wins a tie, and a provider that weighs skill alone gets the strongest again.
    const later = (n: number) => ({ start: iso(T0 + n * 15 * 60_000), end: iso(T0 + (n + 1) * 15 * 60_000) });
    const previous = await reserve({ callbackId: "cb-prev", ...later(3), choose: { level: 4, language: "en", previousAgent: await ref("cy") } });
    expect(previous.body.agentId).toBe(await ref("ana"));
    const tie = await reserve({ callbackId: "cb-tie", ...later(4), choose: { level: 3, language: "en", previousAgent: await ref("cy"), weights: { skill: 0 } } });
    expect(tie.body.agentId).toBe(await ref("cy"));
    const skillOnly = await reserve({ callbackId: "cb-skill", ...later(5), choose: { level: 3, language: "fr", weights: { language: 0, previousAgent: 0 } } });
    expect(skillOnly.body.agentId).toBe(await ref("ana"));
    expect((await reserve({ callbackId: "cb-bad", ...later(6), choose: { level: 9 } })).status).toBe(400);
  });

  it("does not reserve an internal agent or an unknown one, even by name", async () => {
    await useClock();
    const dee = await putAgent("dee", { exposure: "internal" });
    await report("dee", "available");
    expect((await reserve({ callbackId: "cb-1", agentId: dee.ref })).status).toBe(404);
    expect((await reserve({ callbackId: "cb-1", agentId: "r_ffffffffffffffffffff" })).status).toBe(404);
  });

  it("treats the same callback reserving twice as one reservation", async () => {
    await useClock();
    await putAgent("ana");
    await report("ana", "available");
    const a = await reserve({ callbackId: "cb-1" });
    const b = await reserve({ callbackId: "cb-1" });
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    const other = await reserve({ callbackId: "cb-1", start: SLOT.end, end: iso(T0 + 45 * 60_000) });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe("callback_already_reserved");
  });

  it("moves a callback's hold in one write when told which it replaces: never two holds, nor none; never another callback's", async () => {
    await useClock();
    const ana = await putAgent("ana");
    await report("ana", "available");
    const first = await reserve({ callbackId: "cb-1" });
    // Another callback cannot name cb-1's hold to take it.
    await putAgent("bo");
    await report("bo", "available");
    const stranger = await reserve({ callbackId: "cb-2", agentId: ana.ref, replaces: first.body.id });
    expect(stranger.status).toBe(409);
    expect(stranger.body.error.code).toBe("no_capacity");
    // cb-1 moves a quarter of an hour on, overlapping its own slot: the same agent, since its old hold no longer counts.
    const later = { start: iso(T0 + 20 * 60_000), end: iso(T0 + 35 * 60_000) };
    const moved = await reserve({ callbackId: "cb-1", agentId: ana.ref, ...later, replaces: first.body.id });
    expect(moved.status).toBe(201);
    expect(moved.body).toMatchObject({ agentId: ana.ref, status: "held", start: later.start });
    expect((await api("GET", `/federation/reservations/${first.body.id}`)).body.status).toBe("released");
    // Naming a hold that is not the callback's current one is no move.
    const stale = await reserve({ callbackId: "cb-1", start: SLOT.end, end: iso(T0 + 45 * 60_000), replaces: first.body.id });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("callback_already_reserved");
  });

  it("expires a hold that is not claimed, frees the agent, and refuses a late claim", async () => {
    const clock = await useClock();
    await putAgent("ana");
    await report("ana", "on_call");
    const held = await reserve({ callbackId: "cb-1", holdSeconds: 60 });
    expect(held.body.status).toBe("held");
    expect(held.body.expiresAt).toBe(iso(T0 + 60_000));
    expect((await reserve({ callbackId: "cb-2" })).status).toBe(409);

    await clock.advance(60_000);
    expect(await runDurableObjectAlarm(roster())).toBe(true);
    const late = await api("POST", `/federation/reservations/${held.body.id}/claim`, undefined, CLOUD);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("reservation_expired");
    expect((await api("GET", `/federation/reservations/${held.body.id}`, undefined, CLOUD)).body.status).toBe("expired");
    expect((await reserve({ callbackId: "cb-2" })).status).toBe(201);
  });

  it("claims and releases, each harmlessly twice, and never claims what was released", async () => {
    await useClock();
    await putAgent("ana");
    await report("ana", "available");
    const { body: r } = await reserve({ callbackId: "cb-1" });
    const claim = () => api("POST", `/federation/reservations/${r.id}/claim`, undefined, CLOUD);
    const release = () => api("POST", `/federation/reservations/${r.id}/release`, undefined, CLOUD);
    expect((await claim()).body.status).toBe("claimed");
    expect((await claim()).body.status).toBe("claimed");
    expect((await release()).body.status).toBe("released");
    expect((await release()).status).toBe(200);
    const again = await claim();
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("reservation_released");
    // Released capacity is free again.
    expect((await reserve({ callbackId: "cb-2" })).status).toBe(201);
  });

  it("moves the agent's expected availability past what it holds", async () => {
    await useClock();
    await putAgent("ana");
    await report("ana", "available");
    await reserve({ callbackId: "cb-1", start: iso(T0), end: iso(T0 + 15 * 60_000) });
    expect((await api("GET", "/v1/agents/ana")).body.expectedAvailableAt).toBe(iso(T0 + 15 * 60_000));
  });

  it("is open to the callback cloud and admin only", async () => {
    await useClock();
    const ana = await putAgent("ana");
    await report("ana", "available");
    expect((await reserve({ callbackId: "cb-1" }, null)).status).toBe(401);
    expect((await reserve({ callbackId: "cb-1" }, PEER)).status).toBe(403);
    expect((await reserve({ callbackId: "cb-1" }, "not-a-token")).status).toBe(401);
    // Nothing refused was held: admin reserves the one slot.
    const byAdmin = await reserve({ callbackId: "cb-1" }, ADMIN);
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body).toMatchObject({ callbackId: "cb-1", agentId: ana.ref, status: "held" });
  });
});
