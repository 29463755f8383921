import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, requestOnly, site, status } from "./contract.ts";
import { addMember, ADMIN, cloud, darken, dials, edgeEnv, gossip, MIN, PEER, PEERS, registerAcme, setSiteClock, staff, T0, types } from "./helpers.ts";

const meshView = () => edgeEnv.MESH_VIEW.getByName("mesh");

/** Members' health as the edge's /v1/mesh shows it. */
const health = async () => Object.fromEntries(((await edge("GET", "/v1/mesh", undefined, ADMIN)).body.members as any[]).map((m) => [m.siteId, m.health]));

/** Three members gossiping; a callback for tomorrow, held by the strongest agent, in Paris. */
async function heldAtParis() {
  const clock = await registerAcme();
  for (const s of ["paris", "austin", "manila"] as const) await addMember(s);
  await staff("paris", "ana", { appliance_repair: 5 });
  await staff("austin", "bo", { appliance_repair: 3 });
  for (const s of ["paris", "austin", "manila"]) await gossip(s);
  const start = T0 + 86_400_000;
  const { body } = await requestCallback({ when: { start: new Date(start).toISOString(), end: new Date(start + 3600_000).toISOString() } });
  const held = (await status(body.confirmation, undefined, ADMIN)).body;
  expect(held.agent.siteId).toBe("paris");
  return { clock, body, held };
}

describe("membership", () => {
  it("is owned by the edge: admin adds and removes members, and the list is signed", async () => {
    expect((await edge("POST", "/v1/federation/members", { siteId: "paris", peerId: PEERS.paris })).status).toBe(401);
    const bad = await edge("POST", "/v1/federation/members", { siteId: "paris", peerId: "not-a-peer" }, ADMIN);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields[0].path).toBe("body.peerId");
    const added = await addMember("paris");
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ seq: 1, members: [{ siteId: "paris", peerId: PEERS.paris, trust: "enterprise" }] });
    expect((await addMember("austin")).body.seq).toBe(2);
    // One peer id cannot speak for two sites.
    expect((await edge("POST", "/v1/federation/members", { siteId: "lyon", peerId: PEERS.paris }, ADMIN)).status).toBe(409);

    const { jws } = (await edge("GET", "/federation/membership", undefined, PEER)).body;
    // A site takes the list only as the edge signed it.
    const accepted = await site("paris", "POST", "/federation/membership", { jws }, PEER);
    expect(accepted.status).toBe(200);
    expect(accepted.body.members.map((m: any) => m.siteId)).toEqual(["austin", "paris"]);
    const [h, p, sig] = jws.split(".");
    const forged = `${h}.${btoa(JSON.stringify({ version: 1, seq: 99, issuedAtMs: 0, members: [] })).replace(/=+$/, "")}.${sig}`;
    const refused = await site("paris", "POST", "/federation/membership", { jws: forged }, PEER);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("bad_membership_signature");
    // The genuine payload, re-signed by nobody, was what the forgery replaced: the list Paris holds is still the edge's.
    expect(JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/"))).members.map((m: { siteId: string }) => m.siteId)).toEqual(["austin", "paris"]);
    expect((await site("paris", "GET", "/v1/mesh", undefined, ADMIN)).body.members.map((m: { siteId: string }) => m.siteId)).toEqual(["austin"]);

    const removed = await edge("DELETE", "/v1/federation/members/austin", undefined, ADMIN);
    expect(removed.body.seq).toBe(3);
    const newer = (await edge("GET", "/federation/membership", undefined, PEER)).body.jws;
    expect((await site("paris", "POST", "/federation/membership", { jws: newer }, PEER)).body.seq).toBe(3);
    // An older list never replaces a newer one.
    expect((await site("paris", "POST", "/federation/membership", { jws }, PEER)).body.seq).toBe(3);
  });
});

describe("digests received over gossip", () => {
  it("keeps the latest digest of each member and refuses strangers, replays and junk", async () => {
    await addMember("paris");
    await staff("paris", "ana", { appliance_repair: 4 });
    const digest = (await site("paris", "GET", "/federation/digest", undefined, PEER)).body;
    const post = () => edge("POST", "/federation/digests", { digests: [digest] }, PEER);
    expect((await post()).body).toEqual({ accepted: 1, rejected: {} });
    // The same message again (a replay) changes nothing; a newer one is taken.
    expect((await post()).body).toEqual({ accepted: 0, rejected: { not_newer: 1 } });
    expect((await gossip("paris")).body).toEqual({ accepted: 1, rejected: {} });
    expect((await gossip("manila")).body).toEqual({ accepted: 0, rejected: { not_a_member: 1 } });
    expect((await edge("POST", "/federation/digests", { digests: [{ version: 1, siteId: "paris" }] }, PEER)).body.rejected).toEqual({ malformed: 1 });
    expect((await edge("POST", "/federation/digests", { digests: [{}] }, ADMIN)).status).toBe(200);
    expect((await edge("POST", "/federation/digests", { digests: [{}] })).status).toBe(401);

    const mesh = await edge("GET", "/v1/mesh", undefined, ADMIN);
    expect(mesh.body.self).toBe("edge");
    expect(mesh.body.members).toEqual([
      // Counted from the digest: one agent, available, in the one skill she has.
      expect.objectContaining({ siteId: "paris", peerId: PEERS.paris, health: "up", agents: { total: 1, available: 1, bySkill: { appliance_repair: { available: 1 } } } }),
    ]);
    expect(mesh.body.receipts).toMatchObject({ accepted: 2, not_newer: 1, not_a_member: 1 });
  });

  it("sees a silent member go stale after its time to live, then down once its Worker does not answer either, and moves its callbacks", async () => {
    const { clock, body } = await heldAtParis();

    // Paris falls silent; the others keep gossiping.
    await clock.advance(15_001);
    for (const s of ["austin", "manila"]) await gossip(s);
    expect(await health()).toEqual({ austin: "up", manila: "up", paris: "stale" });
    await clock.advance(45_000);
    for (const s of ["austin", "manila"]) await gossip(s);
    // Silent past its time to go down, its Worker still answers the edge: only gossip lost it, and it keeps its work.
    expect(await health()).toEqual({ austin: "up", manila: "up", paris: "stale" });
    expect(await runDurableObjectAlarm(meshView())).toBe(true);
    await runDurableObjectAlarm(cloud("acme"));
    expect((await status(body.confirmation, undefined, ADMIN)).body.agent.siteId).toBe("paris");

    // Its runtime dies too: the next probe (a second on) finds nothing, and the mesh view's alarm acts once on "down".
    await darken("paris", true);
    await clock.advance(1_000);
    try {
      expect(await health()).toEqual({ austin: "up", manila: "up", paris: "down" });
      expect(await runDurableObjectAlarm(meshView())).toBe(true);
    } finally {
      await darken("paris", false);
    }
    await runDurableObjectAlarm(cloud("acme"));
    const moved = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(moved.agent.siteId).toBe("austin");
    expect(moved.status).toBe("scheduled");
    expect(moved.history.find((e: any) => e.type === "replanned").detail.why).toBe("site paris went down");
    // The customer is told it is planned again, never which site went down.
    const seen = (await status(body.confirmation, body.verifier)).body;
    const told = seen.history.find((e: any) => e.type === "replanned").detail;
    expect(told.reason).toMatch(/planning again/);
    expect(JSON.stringify(seen)).not.toMatch(/paris|austin|manila/);
    expect(types(moved).filter((t) => t === "agent_assigned")).toHaveLength(2);
  });

  it("after a restart, holds no member's silence against it until it has had its time to speak; a re-plan releases the hold it replaced", async () => {
    const { clock, body, held } = await heldAtParis();

    // The edge is stopped for ten minutes and starts again on the same state: every digest it holds is old.
    await evictDurableObject(meshView());
    await clock.advance(10 * 60_000);
    expect(await health()).toEqual({ austin: "stale", manila: "stale", paris: "stale" });
    // Its overdue alarm runs first thing: nobody is declared down, nothing is moved.
    await runDurableObjectAlarm(meshView());
    await runDurableObjectAlarm(cloud("acme"));
    const still = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(still.agent.siteId).toBe("paris");
    expect(types(still)).not.toContain("replanned");

    // Austin and Manila speak again; Paris stays silent for its whole time to go down, counted from the restart.
    for (const s of ["austin", "manila"]) await gossip(s);
    expect(await health()).toEqual({ austin: "up", manila: "up", paris: "stale" });
    await clock.advance(60_001);
    for (const s of ["austin", "manila"]) await gossip(s);
    // Its /healthz fails to the edge's probe, as a dead runtime's would (its other routes will answer after all).
    await darken("paris", true);
    try {
      expect(await health()).toEqual({ austin: "up", manila: "up", paris: "down" });
      expect(await runDurableObjectAlarm(meshView())).toBe(true);
    } finally {
      await darken("paris", false);
    }
    const parisHold = async () => (await site("paris", "GET", `/federation/reservations/${held.reservationId}`)).body.status;
    // Paris is thought down, so its hold is not asked for now but owed; it holds until the cloud's alarm asks.
    expect(await cloud("acme").owedReleases()).toEqual([expect.objectContaining({ siteId: "paris", reservationId: held.reservationId })]);
    expect(await parisHold()).toBe("held");
    await clock.advance(5_000);
    await runDurableObjectAlarm(cloud("acme"));
    const moved = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(moved.agent.siteId).toBe("austin");
    // Paris answered after all: the hold the re-plan replaced is given back, and nothing more is owed.
    expect(await parisHold()).toBe("released");
    expect(await cloud("acme").owedReleases()).toEqual([]);
  });
});

describe("a member whose clock jumps ten minutes ahead", () => {
  it("is stale from its next digest on; its refusal to confirm a held agent moves the callback, called once; the hold left there is given back once its clock is right", async () => {
    const clock = await registerAcme();
    for (const s of ["paris", "austin", "manila"] as const) await addMember(s);
    await staff("paris", "ana", { appliance_repair: 5 });
    await staff("austin", "bo", { appliance_repair: 3 });
    for (const s of ["paris", "austin", "manila"]) await gossip(s);
    // As soon as possible: the cloud's first run holds Paris's agent, its next confirms her and dials.
    const { body } = await requestOnly();
    await runDurableObjectAlarm(cloud("acme"));
    const held = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(held).toMatchObject({ status: "scheduled", agent: { siteId: "paris" } });

    await setSiteClock("paris", T0 + 10 * MIN);
    await gossip("paris");
    const paris = ((await edge("GET", "/v1/mesh", undefined, ADMIN)).body.members as any[]).find((m) => m.siteId === "paris");
    // Its digest arrives at once, from ten minutes ahead: nothing new is planned there.
    expect(paris).toMatchObject({ health: "stale", digestAgeMs: 0, clockSkewMs: 10 * MIN });

    // By Paris's clock the edge's token has expired: the agent is not confirmed, and the callback is called from Austin, once.
    await runDurableObjectAlarm(cloud("acme"));
    const moved = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(moved).toMatchObject({ status: "connected", agent: { siteId: "austin" } });
    expect(moved.history.find((e: any) => e.type === "replanned").detail.why).toMatch(/could not be confirmed \(unauthorized/);
    expect(await dials(body.confirmation)).toHaveLength(1);
    const parisHold = async () => (await site("paris", "GET", `/federation/reservations/${held.reservationId}`)).body.status;
    // Paris refuses the release too: it is owed, and Ana stays held meanwhile.
    expect(await cloud("acme").owedReleases()).toEqual([expect.objectContaining({ siteId: "paris", reservationId: held.reservationId })]);
    expect(await parisHold()).toBe("held");

    // Its clock is set right: the owed release goes through on the cloud's next try, and Paris is up again.
    await clock.set(T0 + 5_000);
    await runDurableObjectAlarm(cloud("acme"));
    expect(await parisHold()).toBe("released");
    expect(await cloud("acme").owedReleases()).toEqual([]);
    await gossip("paris");
    expect(((await edge("GET", "/v1/mesh", undefined, ADMIN)).body.members as any[]).find((m) => m.siteId === "paris")).toMatchObject({ health: "up", clockSkewMs: 0 });
  });
});
