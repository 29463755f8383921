import { describe, expect, it } from "vitest";
import { checkTransition, TRANSITIONS } from "../../objects/roster/state-machine.ts";
import { AGENT_STATES, REPORTABLE_STATES } from "../../federation/wire/vocabulary.ts";

describe("agent state machine", () => {
  it("has a row for every state, naming only reportable states", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...AGENT_STATES].sort());
    for (const moves of Object.values(TRANSITIONS)) {
      for (const to of moves) expect(REPORTABLE_STATES).toContain(to);
    }
  });

  it("lets an agent re-report the state it is in", () => {
    for (const s of REPORTABLE_STATES) expect(checkTransition(s, s)).toEqual({ legal: true });
  });

  it("refuses the moves a contact center would not allow, listing the allowed ones", () => {
    expect(checkTransition("offline", "busy")).toEqual({ legal: false, allowed: ["available", "on_call"] });
    expect(checkTransition("busy", "offline")).toEqual({ legal: false, allowed: ["wrap_up", "available"] });
    expect(checkTransition("busy", "break")).toMatchObject({ legal: false });
    expect(checkTransition("offline", "wrap_up")).toMatchObject({ legal: false });
  });

  it("leaves unreachable on any report", () => {
    for (const s of REPORTABLE_STATES) expect(checkTransition("unreachable", s)).toEqual({ legal: true });
  });
});
