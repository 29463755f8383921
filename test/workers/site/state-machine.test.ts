import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TRANSITIONS } from "../../../objects/roster/state-machine.ts";
import type { Roster } from "../../../objects/roster/roster.ts";
// Answers checked against the OpenAPI document.
import { api, report } from "./contract.ts";
import { putAgent, roster, T0, useClock } from "./helpers.ts";
import { AGENT_STATES, REPORTABLE_STATES } from "../../../federation/wire/vocabulary.ts";

/** Puts the agent straight into a state, as if it had got there by earlier moves. */
async function force(id: string, state: string, untilMs: number | null = null): Promise<void> {
  await runInDurableObject(roster(), (_: Roster, state_) => {
    state_.storage.sql.exec("UPDATE resources SET state = ?, until_ms = ? WHERE id = ?", state, untilMs, id);
  });
}

describe("the transition table through the site Worker", () => {
  it("accepts every legal move and refuses every illegal one with the allowed moves", async () => {
    await useClock();
    await putAgent("ana");
    const until = T0 + 10 * 60_000;
    for (const from of AGENT_STATES) {
      for (const to of REPORTABLE_STATES) {
        await force("ana", from, from === "break" ? until : null);
        const res = await report("ana", to, to === "break" ? until : undefined);
        const legal = from === to || TRANSITIONS[from].includes(to);
        if (legal) {
          expect(res.status, `${from} -> ${to}`).toBe(200);
          expect(res.body.state).toBe(to);
        } else {
          expect(res.status, `${from} -> ${to}`).toBe(409);
          expect(res.body.error.code).toBe("illegal_transition");
          expect(res.body.error.details.allowed).toEqual(TRANSITIONS[from]);
        }
      }
    }
  });

  it("never lets an agent report itself unreachable", async () => {
    await useClock();
    await putAgent("ana");
    const res = await report("ana", "unreachable");
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields[0].path).toBe("body.state");
  });
});

describe("heartbeat monitor", () => {
  it("marks a silent agent unreachable after the timeout, and the next report brings it back", async () => {
    const clock = await useClock();
    await putAgent("ana");
    await putAgent("bo");
    expect((await report("ana", "available")).status).toBe(200);
    expect((await report("bo", "available")).status).toBe(200);

    await clock.advance(20_000);
    expect((await api("POST", "/v1/agents/bo/heartbeat")).status).toBe(204);

    // 30 s after Ana's report, Bo heartbeated 10 s ago.
    await clock.advance(10_000);
    expect(await runDurableObjectAlarm(roster())).toBe(true);
    
    expect((await api("GET", "/v1/agents/ana")).body.state).toBe("unreachable");
    expect((await api("GET", "/v1/agents/bo")).body.state).toBe("available");

    // The alarm re-armed for Bo's deadline; when it passes, Bo goes too.
    await clock.advance(20_000);
    expect(await runDurableObjectAlarm(roster())).toBe(true);
    expect((await api("GET", "/v1/agents/bo")).body.state).toBe("unreachable");

    // Nobody left to time out: no alarm.
    expect(await runDurableObjectAlarm(roster())).toBe(false);

    const back = await report("ana", "available");
    expect(back.status).toBe(200);
    expect(back.body.state).toBe("available");
  });

  it("sets no alarm while nobody can time out, and does not touch the alarm on heartbeats", async () => {
    const clock = await useClock();
    await putAgent("ana");
    expect(await runDurableObjectAlarm(roster())).toBe(false);
    await report("ana", "on_call"); // logged off: sends no heartbeats
    expect(await runDurableObjectAlarm(roster())).toBe(false);

    await report("ana", "available");
    const first = await runInDurableObject(roster(), (_: Roster, s) => s.storage.getAlarm());
    expect(first).toBe(T0 + 30_000);
    await clock.advance(5_000);
    
    await api("POST", "/v1/agents/ana/heartbeat");
    expect(await runInDurableObject(roster(), (_: Roster, s) => s.storage.getAlarm())).toBe(first);
  });

  it("reads the timeout from HEARTBEAT_TIMEOUT_MS", async () => {
    const clock = await useClock();
    await putAgent("ana");
    await report("ana", "available");
    await clock.advance(29_999);
    await runDurableObjectAlarm(roster());
    
    expect((await api("GET", "/v1/agents/ana")).body.state).toBe("available");
    await clock.advance(1);
    await runDurableObjectAlarm(roster());
    expect((await api("GET", "/v1/agents/ana")).body.state).toBe("unreachable");
  });
});
