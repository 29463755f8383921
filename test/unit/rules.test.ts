import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import acme from "../../examples/providers/acme.json" with { type: "json" };
import { providerRegistration, type ProviderRules } from "../../objects/callback-cloud/provider.ts";
import { openIntervals, type WeeklyHours } from "../../objects/shared/weekly-hours.ts";
import {
  ASAP_SPAN_MS,
  bookingHorizon,
  checkWindow,
  closedNotice,
  isOpen,
  nextOpenAt,
  openHours,
  retryAt,
  slotsInWindow,
} from "../../objects/callback-cloud/rules.ts";

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | null | undefined) => (ms == null ? ms : new Date(ms).toISOString());
const CHICAGO = "America/Chicago";

/**
 * Acme: Mon–Fri 08:00–20:00, Sat 09:00–13:00, Sun closed, holidays 2026-12-25 and
 * 2027-01-01, America/Chicago (CST = UTC-6 in winter, CDT = UTC-5 in summer),
 * 15-minute slots, 14 days ahead, no minimum notice, 3 attempts, backoff [5, 15].
 */
const rules: ProviderRules = providerRegistration.parse(acme).rules;
const withRules = (patch: Partial<ProviderRules>): ProviderRules => ({ ...rules, ...patch });
const startsOf = (slots: { startMs: number }[]) => slots.map((s) => iso(s.startMs));

describe("open or closed", () => {
  it("follows weekday hours in Chicago", () => {
    // Wednesday 2026-12-02 (CST): 08:00 is 14:00Z, 20:00 is 02:00Z the next day.
    expect(isOpen(rules, CHICAGO, t("2026-12-02T13:59:59Z"))).toBe(false);
    expect(isOpen(rules, CHICAGO, t("2026-12-02T14:00:00Z"))).toBe(true);
    expect(isOpen(rules, CHICAGO, t("2026-12-03T01:59:59Z"))).toBe(true);
    expect(isOpen(rules, CHICAGO, t("2026-12-03T02:00:00Z"))).toBe(false);
  });

  it("keeps Saturday's short hours and Sunday closed", () => {
    // Saturday 2026-12-05 09:00–13:00 CST = 15:00Z–19:00Z.
    expect(isOpen(rules, CHICAGO, t("2026-12-05T14:30:00Z"))).toBe(false); // 08:30
    expect(isOpen(rules, CHICAGO, t("2026-12-05T15:00:00Z"))).toBe(true);
    expect(isOpen(rules, CHICAGO, t("2026-12-05T18:59:00Z"))).toBe(true);
    expect(isOpen(rules, CHICAGO, t("2026-12-05T19:00:00Z"))).toBe(false); // 13:00
    // Sunday 2026-12-06, noon.
    expect(isOpen(rules, CHICAGO, t("2026-12-06T18:00:00Z"))).toBe(false);
  });

  it("is closed all day on a holiday, as a local date in the provider's zone", () => {
    // Friday 2026-12-25 is a holiday: closed at 08:00, noon and 19:59 local.
    expect(isOpen(rules, CHICAGO, t("2026-12-25T14:00:00Z"))).toBe(false);
    expect(isOpen(rules, CHICAGO, t("2026-12-25T18:00:00Z"))).toBe(false);
    expect(isOpen(rules, CHICAGO, t("2026-12-26T01:59:00Z"))).toBe(false);
    // 01:00Z on the 25th is still the 24th (19:00) in Chicago: open.
    expect(isOpen(rules, CHICAGO, t("2026-12-25T01:00:00Z"))).toBe(true);
    // The same weekday a week earlier is an ordinary Friday.
    expect(isOpen(rules, CHICAGO, t("2026-12-18T18:00:00Z"))).toBe(true);
  });
});

describe("next opening", () => {
  it("is the instant itself while open", () => {
    expect(nextOpenAt(rules, CHICAGO, t("2026-12-02T15:00:00Z"))).toBe(t("2026-12-02T15:00:00Z"));
  });

  it("crosses a weekend", () => {
    // Friday 20:00 CST -> Saturday 09:00 CST; Saturday 13:00 CST -> Monday 08:00 CST.
    expect(iso(nextOpenAt(rules, CHICAGO, t("2026-12-05T02:00:00Z")))).toBe("2026-12-05T15:00:00.000Z");
    expect(iso(nextOpenAt(rules, CHICAGO, t("2026-12-05T19:00:00Z")))).toBe("2026-12-07T14:00:00.000Z");
  });

  it("skips a holiday", () => {
    // Thursday 2026-12-24 20:00 CST -> (Friday 25th closed) -> Saturday 26th 09:00 CST.
    expect(iso(nextOpenAt(rules, CHICAGO, t("2026-12-25T02:00:00Z")))).toBe("2026-12-26T15:00:00.000Z");
    // New Year's Eve 20:00 CST -> (Friday 2027-01-01 closed) -> Saturday 2027-01-02 09:00 CST.
    expect(iso(nextOpenAt(rules, CHICAGO, t("2027-01-01T02:00:00Z")))).toBe("2027-01-02T15:00:00.000Z");
  });

  it("is null when nothing opens within maxAdvanceDays", () => {
    // Saturday 13:00 to Monday 08:00 is 43 hours.
    expect(nextOpenAt(withRules({ maxAdvanceDays: 1 }), CHICAGO, t("2026-12-05T19:00:00Z"))).toBeNull();
    expect(nextOpenAt(withRules({ maxAdvanceDays: 2 }), CHICAGO, t("2026-12-05T19:00:00Z"))).toBe(t("2026-12-07T14:00:00Z"));
  });
});

describe("across US daylight saving changes", () => {
  it("keeps 08:00 local when clocks fall back (2026-11-01)", () => {
    // Friday 2026-10-30 is CDT (UTC-5): 08:00 is 13:00Z.
    expect(isOpen(rules, CHICAGO, t("2026-10-30T12:59:00Z"))).toBe(false);
    expect(isOpen(rules, CHICAGO, t("2026-10-30T13:00:00Z"))).toBe(true);
    // Saturday 2026-10-31 13:00 CDT (18:00Z) -> Monday 2026-11-02 08:00 CST (UTC-6) = 14:00Z.
    expect(iso(nextOpenAt(rules, CHICAGO, t("2026-10-31T18:00:00Z")))).toBe("2026-11-02T14:00:00.000Z");
    expect(isOpen(rules, CHICAGO, t("2026-11-02T13:00:00Z"))).toBe(false); // 07:00 CST
  });

  it("keeps 08:00 local when clocks spring forward (2027-03-14)", () => {
    // Friday 2027-03-12 is CST: 08:00 is 14:00Z.
    expect(isOpen(rules, CHICAGO, t("2027-03-12T13:59:00Z"))).toBe(false);
    expect(isOpen(rules, CHICAGO, t("2027-03-12T14:00:00Z"))).toBe(true);
    // Saturday 2027-03-13 13:00 CST (19:00Z) -> Monday 2027-03-15 08:00 CDT = 13:00Z.
    expect(iso(nextOpenAt(rules, CHICAGO, t("2027-03-13T19:00:00Z")))).toBe("2027-03-15T13:00:00.000Z");
  });

  it("gives the repeated autumn hour its slots", () => {
    // Sunday 00:00–04:00 local on 2026-11-01 lasts five hours: 01:00–02:00 happens twice.
    const night = withRules({ businessHours: { sun: [["00:00", "04:00"]] }, slotMinutes: 60 });
    const slots = slotsInWindow(night, CHICAGO, t("2026-11-01T00:00:00Z"), t("2026-11-02T00:00:00Z"), t("2026-10-31T00:00:00Z"));
    expect(startsOf(slots)).toEqual([
      "2026-11-01T05:00:00.000Z", // 00:00 CDT
      "2026-11-01T06:00:00.000Z", // 01:00 CDT
      "2026-11-01T07:00:00.000Z", // 01:00 CST
      "2026-11-01T08:00:00.000Z", // 02:00 CST
      "2026-11-01T09:00:00.000Z", // 03:00 CST
    ]);
  });

  it("keeps every slot on the local grid through a day-long stretch that crosses a change", () => {
    const allDay = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"] as const]]));
    // Lord Howe moves its clocks by half an hour; Chicago and Paris by an hour.
    for (const [zone, from] of [
      [CHICAGO, "2026-10-31T12:00:00Z"],
      [CHICAGO, "2027-03-13T12:00:00Z"],
      ["Europe/Paris", "2026-10-24T12:00:00Z"],
      ["Australia/Lord_Howe", "2026-10-03T12:00:00Z"],
    ] as const) {
      for (const slotMinutes of [15, 45, 60]) {
        const open = withRules({ businessHours: allDay, slotMinutes, maxAdvanceDays: 30 });
        const slots = slotsInWindow(open, zone, t(from), t(from) + 2 * 86_400_000, t(from) - 86_400_000);
        const onGrid = (ms: number) => {
          const local = DateTime.fromMillis(ms, { zone });
          return local.second === 0 && (local.hour * 60 + local.minute) % slotMinutes === 0;
        };
        expect(slots.length).toBeGreaterThan(20);
        slots.forEach((slot, i) => {
          expect(onGrid(slot.startMs)).toBe(true);
          // The next slot is the next grid instant once this one ends: none skipped, none overlapping.
          const next = slots[i + 1];
          if (next) for (let m = slot.endMs; m < next.startMs; m += 60_000) expect(onGrid(m)).toBe(false);
          if (next) expect(next.startMs).toBeGreaterThanOrEqual(slot.endMs);
        });
      }
    }
  });

  it("has no slots in the skipped spring hour", () => {
    const night = withRules({ businessHours: { sun: [["00:00", "04:00"]] }, slotMinutes: 60 });
    const slots = slotsInWindow(night, CHICAGO, t("2027-03-14T00:00:00Z"), t("2027-03-15T00:00:00Z"), t("2027-03-13T00:00:00Z"));
    expect(startsOf(slots)).toEqual([
      "2027-03-14T06:00:00.000Z", // 00:00 CST
      "2027-03-14T07:00:00.000Z", // 01:00 CST
      "2027-03-14T08:00:00.000Z", // 03:00 CDT (02:00 does not exist)
    ]);
    expect(slots.at(-1)?.endMs).toBe(t("2027-03-14T09:00:00Z")); // 04:00 CDT
  });

  it("puts slots back on the local grid after the spring change", () => {
    // 45-minute slots: 00:00, 00:45, 01:30 CST (ends 03:15 CDT), then the next grid time 03:45 CDT.
    const night = withRules({ businessHours: { sun: [["00:00", "05:00"]] }, slotMinutes: 45 });
    const slots = slotsInWindow(night, CHICAGO, t("2027-03-14T00:00:00Z"), t("2027-03-15T00:00:00Z"), t("2027-03-13T00:00:00Z"));
    expect(startsOf(slots)).toEqual([
      "2027-03-14T06:00:00.000Z",
      "2027-03-14T06:45:00.000Z",
      "2027-03-14T07:30:00.000Z",
      "2027-03-14T08:45:00.000Z",
    ]);
  });
});

describe("slots in a window", () => {
  const wednesday8am = t("2026-12-02T14:00:00Z");

  it("lists slots on the local quarter hours inside open hours", () => {
    const slots = slotsInWindow(rules, CHICAGO, wednesday8am, t("2026-12-02T15:00:00Z"), wednesday8am);
    expect(slots).toEqual([
      { startMs: t("2026-12-02T14:00:00Z"), endMs: t("2026-12-02T14:15:00Z") },
      { startMs: t("2026-12-02T14:15:00Z"), endMs: t("2026-12-02T14:30:00Z") },
      { startMs: t("2026-12-02T14:30:00Z"), endMs: t("2026-12-02T14:45:00Z") },
      { startMs: t("2026-12-02T14:45:00Z"), endMs: t("2026-12-02T15:00:00Z") },
    ]);
  });

  it("stops at closing time and skips the closed night", () => {
    // Wednesday 19:00 CST to Thursday 08:30 CST.
    const slots = slotsInWindow(rules, CHICAGO, t("2026-12-03T01:00:00Z"), t("2026-12-03T14:30:00Z"), wednesday8am);
    expect(startsOf(slots)).toEqual([
      "2026-12-03T01:00:00.000Z",
      "2026-12-03T01:15:00.000Z",
      "2026-12-03T01:30:00.000Z",
      "2026-12-03T01:45:00.000Z", // the last slot ends at 20:00
      "2026-12-03T14:00:00.000Z", // Thursday 08:00
      "2026-12-03T14:15:00.000Z",
    ]);
  });

  it("starts at the next grid time after now", () => {
    const now = t("2026-12-02T14:07:30Z"); // 08:07:30
    expect(startsOf(slotsInWindow(rules, CHICAGO, now, t("2026-12-02T15:00:00Z"), now))).toEqual([
      "2026-12-02T14:15:00.000Z",
      "2026-12-02T14:30:00.000Z",
      "2026-12-02T14:45:00.000Z",
    ]);
  });

  it("aligns slots to local midnight, not to the opening time", () => {
    const late = withRules({ businessHours: { wed: [["08:10", "09:00"]] } });
    expect(startsOf(slotsInWindow(late, CHICAGO, wednesday8am, t("2026-12-02T16:00:00Z"), wednesday8am))).toEqual([
      "2026-12-02T14:15:00.000Z",
      "2026-12-02T14:30:00.000Z",
      "2026-12-02T14:45:00.000Z",
    ]);
  });

  it("honours the minimum notice", () => {
    const notice = withRules({ minNoticeMinutes: 30 });
    const now = t("2026-12-02T14:07:00Z"); // earliest 08:37
    expect(startsOf(slotsInWindow(notice, CHICAGO, now, t("2026-12-02T15:00:00Z"), now))).toEqual(["2026-12-02T14:45:00.000Z"]);
  });

  it("stops at maxAdvanceDays", () => {
    // Now Wednesday 2026-12-02 08:00 CST: bookable until Wednesday 2026-12-16 08:00 CST.
    expect(bookingHorizon(rules, CHICAGO, wednesday8am)).toEqual({ earliestMs: wednesday8am, latestMs: t("2026-12-16T14:00:00Z") });
    const slots = slotsInWindow(rules, CHICAGO, t("2026-12-16T00:00:00Z"), t("2026-12-17T00:00:00Z"), wednesday8am);
    // Tuesday 18:00–20:00 CST only: Wednesday's hours lie beyond the horizon.
    expect(slots).toHaveLength(8);
    expect(iso(slots[0].startMs)).toBe("2026-12-16T00:00:00.000Z");
    expect(iso(slots.at(-1)?.endMs)).toBe("2026-12-16T02:00:00.000Z");
  });

  it("has none on a holiday and respects a limit", () => {
    expect(slotsInWindow(rules, CHICAGO, t("2026-12-25T06:00:00Z"), t("2026-12-26T06:00:00Z"), t("2026-12-20T00:00:00Z"))).toEqual([]);
    expect(slotsInWindow(rules, CHICAGO, wednesday8am, t("2026-12-10T00:00:00Z"), wednesday8am, 5)).toHaveLength(5);
  });
});

describe("checking a callback window", () => {
  const wednesday8am = t("2026-12-02T14:00:00Z");

  it("asap: from now, not the next slot boundary, until closing or for two hours", () => {
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-02T14:07:00Z"))).toEqual({
      ok: true,
      startMs: t("2026-12-02T14:07:00Z"),
      endMs: t("2026-12-02T14:07:00Z") + ASAP_SPAN_MS,
    });
    // Wednesday 19:50 CST: less than a slot before closing, so Thursday 08:00.
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-03T01:50:00Z"))).toMatchObject({
      ok: true,
      startMs: t("2026-12-03T14:00:00Z"),
    });
    // Wednesday 19:30 CST: until closing at 20:00.
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-03T01:30:00Z"))).toEqual({
      ok: true,
      startMs: t("2026-12-03T01:30:00Z"),
      endMs: t("2026-12-03T02:00:00Z"),
    });
  });

  it("asap while closed: the next opening (across the weekend, the holiday, the notice)", () => {
    // Friday 21:00 CST -> Saturday 09:00 CST.
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-05T03:00:00Z"))).toMatchObject({ ok: true, startMs: t("2026-12-05T15:00:00Z") });
    // Christmas Eve after closing -> Saturday 26th 09:00 CST.
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-25T02:30:00Z"))).toMatchObject({ ok: true, startMs: t("2026-12-26T15:00:00Z") });
    // 60 minutes' notice at 08:07 -> 09:07.
    expect(checkWindow(withRules({ minNoticeMinutes: 60 }), CHICAGO, { asap: true }, t("2026-12-02T14:07:00Z"))).toMatchObject({
      ok: true,
      startMs: t("2026-12-02T15:07:00Z"),
    });
  });

  it("asap while closed says why the callback waits, in words; open, it says nothing", () => {
    // Friday 21:00 CST.
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-05T03:00:00Z"))).toMatchObject({
      notice: "Closed now, until Saturday 5 December 2026, 09:00 CST (hours: Mon–Fri 08:00–20:00, Sat 09:00–13:00, America/Chicago).",
    });
    // Christmas Day, 10:00 CST.
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-25T16:00:00Z"))).toMatchObject({
      notice: expect.stringMatching(/^Closed today \(holiday\), until Saturday 26 December 2026, 09:00 CST/),
    });
    // Wednesday 19:50 CST: open, but not for a whole slot.
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-03T01:50:00Z"))).toMatchObject({
      notice: expect.stringMatching(/^Too close to closing for a 15-minute call, so the callback waits until Thursday 3 December 2026, 08:00 CST/),
    });
    // Wednesday 19:30 CST, open, but 60 minutes' notice leads past closing: not "closed now".
    expect(checkWindow(withRules({ minNoticeMinutes: 60 }), CHICAGO, { asap: true }, t("2026-12-03T01:30:00Z"))).toMatchObject({
      startMs: t("2026-12-03T14:00:00Z"),
      notice: expect.stringMatching(/^Too close to closing for a 15-minute call with 60 minutes' notice, so the callback waits until Thursday 3 December 2026, 08:00 CST/),
    });
    expect(checkWindow(rules, CHICAGO, { asap: true }, t("2026-12-02T14:07:00Z"))).not.toHaveProperty("notice");
  });

  it("says when and why the provider is closed, and nothing while it is open", () => {
    expect(closedNotice(rules, CHICAGO, t("2026-12-02T15:00:00Z"))).toBeNull();
    // Sunday 10:00 CST.
    expect(closedNotice(rules, CHICAGO, t("2026-12-06T16:00:00Z"))).toEqual({
      opensAtMs: t("2026-12-07T14:00:00Z"),
      message: "Closed now, until Monday 7 December 2026, 08:00 CST (hours: Mon–Fri 08:00–20:00, Sat 09:00–13:00, America/Chicago).",
    });
    const allDay = withRules({ businessHours: Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]])) });
    expect(closedNotice(allDay, CHICAGO, t("2026-12-06T16:00:00Z"))).toBeNull();
    // An opening shorter than a slot is no opening: Sunday 23:55–24:00 is passed over for Monday 08:00.
    const sliver = withRules({ businessHours: { ...rules.businessHours, sun: [["23:55", "24:00"]] } });
    expect(closedNotice(sliver, CHICAGO, t("2026-12-06T16:00:00Z"))?.opensAtMs).toBe(t("2026-12-07T14:00:00Z"));
    expect(closedNotice(allDay, CHICAGO, t("2026-12-25T16:00:00Z"))?.message).toMatch(/^Closed today \(holiday\), until Saturday 26 December 2026, 00:00 CST \(hours: every day, around the clock, America\/Chicago\)\.$/);
  });

  it("accepts a window inside open hours", () => {
    const window = { startMs: t("2026-12-03T15:00:00Z"), endMs: t("2026-12-03T17:00:00Z") };
    expect(checkWindow(rules, CHICAGO, window, wednesday8am)).toEqual({ ok: true, ...window });
  });

  it("tightens a window to the slots it holds", () => {
    // Thursday 19:30–22:00 CST -> 19:30–20:00.
    expect(checkWindow(rules, CHICAGO, { startMs: t("2026-12-04T01:30:00Z"), endMs: t("2026-12-04T04:00:00Z") }, wednesday8am)).toEqual({
      ok: true,
      startMs: t("2026-12-04T01:30:00Z"),
      endMs: t("2026-12-04T02:00:00Z"),
    });
    // Sunday 10:00 CST to Monday 08:40 CST -> Monday 08:00–08:30.
    expect(checkWindow(rules, CHICAGO, { startMs: t("2026-12-06T16:00:00Z"), endMs: t("2026-12-07T14:40:00Z") }, wednesday8am)).toEqual({
      ok: true,
      startMs: t("2026-12-07T14:00:00Z"),
      endMs: t("2026-12-07T14:30:00Z"),
    });
  });

  it("rejects a window while closed, suggesting the next opening", () => {
    // Sunday 2026-12-06 10:00–12:00 CST.
    const result = checkWindow(rules, CHICAGO, { startMs: t("2026-12-06T16:00:00Z"), endMs: t("2026-12-06T18:00:00Z") }, wednesday8am);
    expect(result).toMatchObject({ ok: false, reason: "closed", earliestSlotMs: t("2026-12-07T14:00:00Z") });
    expect(result.ok ? "" : result.message).toBe(
      "We are closed at that time (hours: Mon–Fri 08:00–20:00, Sat 09:00–13:00, America/Chicago). The earliest possible time is Monday 7 December 2026, 08:00 CST.",
    );
  });

  it("rejects a window on a holiday, naming it", () => {
    const result = checkWindow(rules, CHICAGO, { startMs: t("2026-12-25T16:00:00Z"), endMs: t("2026-12-25T18:00:00Z") }, t("2026-12-20T16:00:00Z"));
    expect(result).toMatchObject({ ok: false, reason: "holiday", earliestSlotMs: t("2026-12-26T15:00:00Z") });
    expect(result.ok ? "" : result.message).toMatch(/^We are closed on Friday 25 December 2026 \(holiday\)\./);
  });

  it("rejects a window too soon for the minimum notice, but keeps what is left of a longer one", () => {
    const notice = withRules({ minNoticeMinutes: 60 });
    const soon = checkWindow(notice, CHICAGO, { startMs: wednesday8am, endMs: t("2026-12-02T14:30:00Z") }, wednesday8am);
    expect(soon).toMatchObject({ ok: false, reason: "too_soon", earliestSlotMs: t("2026-12-02T15:00:00Z") });
    expect(soon.ok ? "" : soon.message).toMatch(/at least 60 minutes' notice/);
    expect(checkWindow(notice, CHICAGO, { startMs: wednesday8am, endMs: t("2026-12-02T16:00:00Z") }, wednesday8am)).toEqual({
      ok: true,
      startMs: t("2026-12-02T15:00:00Z"),
      endMs: t("2026-12-02T16:00:00Z"),
    });
    const past = checkWindow(rules, CHICAGO, { startMs: t("2026-12-01T15:00:00Z"), endMs: t("2026-12-01T16:00:00Z") }, wednesday8am);
    expect(past).toMatchObject({ ok: false, reason: "too_soon", message: expect.stringMatching(/already passed/) });
  });

  it("rejects a window beyond maxAdvanceDays", () => {
    const far = checkWindow(rules, CHICAGO, { startMs: t("2026-12-21T15:00:00Z"), endMs: t("2026-12-21T17:00:00Z") }, wednesday8am);
    expect(far).toMatchObject({ ok: false, reason: "too_far" });
    expect(far.ok ? "" : far.message).toBe(
      "Callbacks can be booked at most 14 days ahead, until Wednesday 16 December 2026, 08:00 CST.",
    );
    // Wednesday 16th 07:00–10:00 CST: open only after the horizon.
    expect(checkWindow(rules, CHICAGO, { startMs: t("2026-12-16T13:00:00Z"), endMs: t("2026-12-16T16:00:00Z") }, wednesday8am)).toMatchObject({
      ok: false,
      reason: "too_far",
    });
  });

  it("rejects an empty or too short window", () => {
    expect(checkWindow(rules, CHICAGO, { startMs: t("2026-12-03T16:00:00Z"), endMs: t("2026-12-03T16:00:00Z") }, wednesday8am)).toMatchObject({
      ok: false,
      reason: "empty_window",
    });
    const short = checkWindow(rules, CHICAGO, { startMs: t("2026-12-03T16:00:00Z"), endMs: t("2026-12-03T16:10:00Z") }, wednesday8am);
    expect(short).toMatchObject({ ok: false, reason: "empty_window", message: expect.stringMatching(/15-minute slot/) });
    // 10:05–10:25 holds no whole quarter hour.
    expect(checkWindow(rules, CHICAGO, { startMs: t("2026-12-03T16:05:00Z"), endMs: t("2026-12-03T16:25:00Z") }, wednesday8am)).toMatchObject({
      ok: false,
      reason: "empty_window",
    });
  });
});

describe("retry timing", () => {
  // Acme: maxAttempts 3, backoff [5, 15].
  it("waits the backoff of the failed attempt while open", () => {
    expect(iso(retryAt(rules, CHICAGO, 1, t("2026-12-02T16:00:00Z")))).toBe("2026-12-02T16:05:00.000Z");
    expect(iso(retryAt(rules, CHICAGO, 2, t("2026-12-02T16:10:00Z")))).toBe("2026-12-02T16:25:00.000Z");
  });

  it("gives up once maxAttempts is reached", () => {
    expect(retryAt(rules, CHICAGO, 3, t("2026-12-02T16:30:00Z"))).toBeNull();
    expect(retryAt(rules, CHICAGO, 4, t("2026-12-02T16:30:00Z"))).toBeNull();
  });

  it("moves a retry that would land after closing to the next morning", () => {
    // Wednesday 19:58 CST + 5 min = 20:03, closed -> Thursday 08:00 CST.
    expect(iso(retryAt(rules, CHICAGO, 1, t("2026-12-03T01:58:00Z")))).toBe("2026-12-03T14:00:00.000Z");
    // Friday 19:50 CST + 15 min -> Saturday 09:00 CST.
    expect(iso(retryAt(rules, CHICAGO, 2, t("2026-12-05T01:50:00Z")))).toBe("2026-12-05T15:00:00.000Z");
    // Christmas Eve 19:58 CST -> (holiday) -> Saturday 26th 09:00 CST.
    expect(iso(retryAt(rules, CHICAGO, 1, t("2026-12-25T01:58:00Z")))).toBe("2026-12-26T15:00:00.000Z");
  });

  it("repeats the last backoff value", () => {
    const five = withRules({ maxAttempts: 5 });
    expect(iso(retryAt(five, CHICAGO, 3, t("2026-12-02T16:00:00Z")))).toBe("2026-12-02T16:15:00.000Z");
    expect(iso(retryAt(five, CHICAGO, 4, t("2026-12-02T16:00:00Z")))).toBe("2026-12-02T16:15:00.000Z");
    expect(retryAt(five, CHICAGO, 5, t("2026-12-02T16:00:00Z"))).toBeNull();
  });

  it("counts attempts from 1", () => {
    expect(() => retryAt(rules, CHICAGO, 0, t("2026-12-02T16:00:00Z"))).toThrow(RangeError);
  });
});

describe("open hours kept per registration", () => {
  it("are the open intervals of the range itself, clipped and merged, on any range and after any other", () => {
    const weeks: WeeklyHours[] = [
      rules.businessHours,
      { sat: [["22:00", "24:00"]], sun: [["00:00", "06:00"]] },
      Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"] as const]])),
    ];
    const closed = new Set(["2026-11-02"]);
    for (const hours of weeks) {
      for (const zone of [CHICAGO, "Europe/Paris"]) {
        for (let k = 0; k < 60; k++) {
          const from = t("2026-10-28T00:00:00Z") + k * 37 * 60_000 * 7;
          for (const span of [1, 90 * 60_000, 86_400_000, 5 * 86_400_000 + 123_456]) {
            for (const holidays of [closed, new Set<string>()]) {
              expect(openHours(hours, zone, from, from + span, holidays)).toEqual(openIntervals(hours, zone, from, from + span, holidays));
            }
          }
        }
      }
    }
  });
});
