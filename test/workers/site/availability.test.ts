import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { api, report } from "./contract.ts";
import { iso, putAgent, T0, useClock } from "./helpers.ts";

const MIN = 60_000;
const paris9to17 = { timezone: "Europe/Paris", weekly: { mon: [["09:00", "17:00"]], tue: [["09:00", "17:00"]], wed: [["09:00", "17:00"]], thu: [["09:00", "17:00"]], fri: [["09:00", "17:00"]] } };
const chicago9to17 = { ...paris9to17, timezone: "America/Chicago" };

const slots = async (from: number, to: number, skill = "appliance_repair") =>
  (await api("GET", `/v1/availability?skill=${skill}&channel=voice&from=${iso(from)}&to=${iso(to)}`)).body.slots.map(
    (s: any) => s.capacity,
  );

describe("expected availability and free capacity", () => {
  it("counts an agent on a break again from the break's end", async () => {
    await useClock(); // T0 = Wednesday 10:00 in Paris
    await putAgent("ana", { shift: paris9to17 });
    await putAgent("bo", { shift: paris9to17 });
    await report("ana", "available");
    await report("bo", "available");
    await report("bo", "break", T0 + 30 * MIN);
    expect((await api("GET", "/v1/agents/bo")).body.expectedAvailableAt).toBe(iso(T0 + 30 * MIN));
    expect(await slots(T0, T0 + 60 * MIN)).toEqual([1, 1, 2, 2]);
  });

  it("stops counting at the end of the shift and starts again at the next", async () => {
    await useClock(Date.parse("2030-01-09T15:30:00Z")); // 16:30 in Paris
    await putAgent("ana", { shift: paris9to17 });
    await report("ana", "available");
    // Bo has not logged in for today's shift: expected at tomorrow's.
    await putAgent("bo", { shift: paris9to17, channels: ["email"] });
    expect((await api("GET", "/v1/agents/bo")).body.expectedAvailableAt).toBe("2030-01-10T08:00:00.000Z");
    expect(await slots(Date.parse("2030-01-09T15:30:00Z"), Date.parse("2030-01-09T16:30:00Z"))).toEqual([1, 1, 0, 0]);
    expect(await slots(Date.parse("2030-01-10T07:30:00Z"), Date.parse("2030-01-10T08:30:00Z"))).toEqual([0, 0, 1, 1]);
  });

  it("keeps a shift at 09:00 local across the DST change", async () => {
    // Friday 2030-03-08 18:00 in Chicago (CST); clocks go forward on Sunday 2030-03-10.
    await useClock(Date.parse("2030-03-09T00:00:00Z"));
    await putAgent("ana", { shift: chicago9to17 });
    // Monday 09:00 CDT is 14:00Z, not 15:00Z as the Friday before.
    expect((await api("GET", "/v1/agents/ana")).body.expectedAvailableAt).toBe("2030-03-11T14:00:00.000Z");
    expect(await slots(Date.parse("2030-03-11T13:45:00Z"), Date.parse("2030-03-11T14:15:00Z"))).toEqual([0, 1]);
  });

  it("leaves out what is reserved and who lacks the skill", async () => {
    await useClock();
    await putAgent("ana", { capacity: 2 });
    await putAgent("cy", { skills: { billing: 3 } });
    await report("ana", "available");
    await report("cy", "available");
    await api("POST", "/federation/reservations", { callbackId: "cb-1", skill: "appliance_repair", channel: "voice", start: iso(T0 + 15 * MIN), end: iso(T0 + 30 * MIN) });
    expect(await slots(T0, T0 + 45 * MIN)).toEqual([2, 1, 2]);
    expect(await slots(T0, T0 + 15 * MIN, "billing")).toEqual([3]);
  });
});

describe("availability for several skills at once", () => {
  it("counts an agent with any of the skills once", async () => {
    await useClock();
    await putAgent("ana", { skills: { appliance_repair: 4, billing: 2 } });
    await putAgent("bo", { skills: { billing: 3 } });
    await putAgent("cy", { skills: { sales: 3 } });
    for (const id of ["ana", "bo", "cy"]) await report(id, "available");
    expect(await slots(T0, T0 + 15 * MIN, "appliance_repair,billing")).toEqual([2]);
    expect(await slots(T0, T0 + 15 * MIN, "appliance_repair,billing,sales")).toEqual([3]);
    expect((await api("GET", `/v1/availability?skill=billing,Nope&channel=voice&from=${iso(T0)}&to=${iso(T0 + 15 * MIN)}`)).status).toBe(400);
  });
});
