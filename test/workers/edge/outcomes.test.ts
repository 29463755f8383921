import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CallbackShard } from "../../../objects/callback-cloud/callback-shard.ts";
// Answers checked against the OpenAPI document.
import { requestCallback, site, status } from "./contract.ts";
import { ADMIN, cloud, dials, media, MIN, registerAcme, runAt, staff, T0, types } from "./helpers.ts";

const phoneEnding = (tail: string) => `+1512555${tail}`;

describe("outcomes, retries and fallback", () => {
  for (const [tail, outcome] of [["0001", "busy"], ["0002", "no_answer"], ["0003", "voicemail"], ["0004", "failed"]] as const) {
    it(`retries a ${outcome} after the provider's backoff`, async () => {
      await registerAcme();
      await staff("austin", "ana", { appliance_repair: 4 });
      const { body } = await requestCallback({ contact: { phone: phoneEnding(tail) } });
      await runAt(T0);
      const view = (await status(body.confirmation, body.verifier)).body;
      expect(view.status).toBe("retrying");
      expect(view.attempts[0].outcome).toBe(outcome);
      // Backoff [5, 15] minutes: the second attempt is 5 minutes later.
      expect(view.scheduledFor).toBe(new Date(T0 + 5 * MIN).toISOString());
      expect(types(view).slice(-3)).toEqual(["dialing", "outcome", "retry_scheduled"]);
    });
  }

  it("keeps failing on voice, falls back to an SMS with a link to reschedule, then fails", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    await staff("manila", "bo", { appliance_repair: 3 });
    const { body } = await requestCallback({ contact: { phone: phoneEnding("0002") }, media: ["voice", "sms"] });
    // Each retry is planned on the backoff [5, 15] minutes, and not dialed a minute before its time.
    await runAt(T0);
    expect((await status(body.confirmation, undefined, ADMIN)).body.scheduledFor).toBe(new Date(T0 + 5 * MIN).toISOString());
    await runAt(T0 + 4 * MIN);
    expect(await dials(body.confirmation)).toHaveLength(1);
    await runAt(T0 + 5 * MIN);
    expect((await status(body.confirmation, undefined, ADMIN)).body.scheduledFor).toBe(new Date(T0 + 20 * MIN).toISOString());
    await runAt(T0 + 19 * MIN);
    expect(await dials(body.confirmation)).toHaveLength(2);
    await runAt(T0 + 20 * MIN);
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    // Three voice attempts (the maximum), then the SMS, sent at once.
    expect(view.attempts.map((a: any) => [a.channel, a.outcome])).toEqual([
      ["voice", "no_answer"],
      ["voice", "no_answer"],
      ["voice", "no_answer"],
    ]);
    expect(view.status).toBe("retrying");
    expect(view.channel).toBe("sms");
    expect(types(view)).toContain("fallback");
    const ran = await runAt(T0 + 20 * MIN);
    const final = (await status(body.confirmation, body.verifier)).body;
    expect(ran).toBe(true);
    expect(final.status).toBe("failed");
    expect(final.history.at(-1).detail.reason).toMatch(/link to reschedule/);
    const log = await dials(body.confirmation);
    expect(log.map((d) => d.channel)).toEqual(["voice", "voice", "voice", "sms"]);
    expect(log[3].message).toContain(`/v1/callbacks/${body.confirmation}`);
    expect(log.every((d) => d.requests === 1)).toBe(true);
  });

  it("fails after the maximum attempts when the customer accepts no other medium", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback({ contact: { phone: phoneEnding("0001") } });
    for (const [t, next] of [[T0, T0 + 5 * MIN], [T0 + 5 * MIN, T0 + 20 * MIN]]) {
      await runAt(t);
      expect((await status(body.confirmation, body.verifier)).body.scheduledFor).toBe(new Date(next).toISOString());
    }
    await runAt(T0 + 20 * MIN);
    const final = (await status(body.confirmation, body.verifier)).body;
    expect(final.status).toBe("failed");
    expect(final.attempts).toHaveLength(3);
    expect(await runDurableObjectAlarm(cloud())).toBe(false);
  });
});

describe("an alarm that runs more than once", () => {
  it("dials once per attempt when the alarm runs twice", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    await runAt(T0);
    // The runtime may deliver the same alarm again: nothing is due, nothing is dialed.
    await runInDurableObject(cloud(), async (_: CallbackShard, state) => state.storage.setAlarm(T0));
    await runAt(T0);
    expect(await dials(body.confirmation)).toHaveLength(1);
    expect((await status(body.confirmation, body.verifier)).body.attempts).toHaveLength(1);
  });

  it("never dials twice for one attempt when the answer of the first dial was lost", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    await media().failNextAnswer();
    await runAt(T0);
    // The attempt was recorded before the call; the call went out; its answer was lost.
    const between = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(between.status).toBe("dialing");
    expect(between.attempts).toEqual([expect.objectContaining({ n: 1, outcome: null })]);

    await runAt(T0 + MIN);
    const after = (await status(body.confirmation, body.verifier)).body;
    expect(after.status).toBe("connected");
    expect(after.attempts).toEqual([expect.objectContaining({ n: 1, outcome: "answered" })]);
    // One dial, asked for twice with the same key.
    expect((await dials(body.confirmation)).map((d) => d.requests)).toEqual([2]);
  });
});

describe("the agent's reservation around the call", () => {
  it("is confirmed a little before the call, so the call itself goes out on time", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const start = T0 + 60 * MIN;
    const { body } = await requestCallback({ when: { start: new Date(start).toISOString(), end: new Date(start + 60 * MIN).toISOString() } });
    const reservationId = (await status(body.confirmation, undefined, ADMIN)).body.reservationId;
    await runAt(start - 30_000);
    expect((await site("austin", "GET", `/federation/reservations/${reservationId}`)).body.status).toBe("claimed");
    expect((await status(body.confirmation, body.verifier)).body.status).toBe("scheduled");
    expect(await dials(body.confirmation)).toHaveLength(0);
    await runAt(start);
    expect((await dials(body.confirmation)).map((d) => d.attempt)).toEqual([1]);
  });

  it("is given back when a retry falls after the reserved slot, and a new one is made then", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback({ contact: { phone: phoneEnding("0001") } });
    const first = (await status(body.confirmation, undefined, ADMIN)).body.reservationId;
    await runAt(T0); // busy: retry at +5 min, inside the 15-minute slot: the agent is kept
    expect((await status(body.confirmation, undefined, ADMIN)).body.reservationId).toBe(first);
    await runAt(T0 + 5 * MIN); // busy again: retry at +20 min, after the slot: the agent is given back
    const between = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(between.reservationId).toBeNull();
    expect((await site("austin", "GET", `/federation/reservations/${first}`)).body.status).toBe("released");
    await runAt(T0 + 20 * MIN);
    const last = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(last.reservationId).not.toBe(first);
    expect(last.attempts).toHaveLength(3);
  });
});
