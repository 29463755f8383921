import { describe, expect, it } from "vitest";
import { describeWeek, isOpenAt, isValidRange, nextOpenAt, openIntervals } from "../../objects/shared/weekly-hours.ts";

const t = (iso: string) => Date.parse(iso);
const weekdays9to5 = { mon: [["09:00", "17:00"]], tue: [["09:00", "17:00"]], wed: [["09:00", "17:00"]], thu: [["09:00", "17:00"]], fri: [["09:00", "17:00"]] } as const;

describe("weekly hours in a time zone", () => {
  it("validates ranges, allowing 24:00 only as an end", () => {
    expect(isValidRange(["08:00", "24:00"])).toBe(true);
    expect(isValidRange(["24:00", "24:00"])).toBe(false);
    expect(isValidRange(["17:00", "09:00"])).toBe(false);
    expect(isValidRange(["8:00", "09:00"])).toBe(false);
    expect(isValidRange(["09:00", "09:60"])).toBe(false);
  });

  it("is open inside the local hours and closed outside", () => {
    // Wednesday 2026-12-02: 09:00 in Paris is 08:00Z.
    expect(isOpenAt(weekdays9to5, "Europe/Paris", t("2026-12-02T08:00:00Z"))).toBe(true);
    expect(isOpenAt(weekdays9to5, "Europe/Paris", t("2026-12-02T07:59:00Z"))).toBe(false);
    expect(isOpenAt(weekdays9to5, "Europe/Paris", t("2026-12-02T16:00:00Z"))).toBe(false);
  });

  it("finds the next opening across a weekend", () => {
    // Friday 2026-12-04 18:00 Paris -> Monday 2026-12-07 09:00 Paris (08:00Z).
    expect(nextOpenAt(weekdays9to5, "Europe/Paris", t("2026-12-04T17:00:00Z"))).toBe(t("2026-12-07T08:00:00Z"));
  });

  it("skips closed dates", () => {
    const closed = new Set(["2026-12-07"]);
    expect(nextOpenAt(weekdays9to5, "Europe/Paris", t("2026-12-04T17:00:00Z"), closed)).toBe(t("2026-12-08T08:00:00Z"));
  });

  it("keeps local hours across the spring DST change", () => {
    // America/Chicago moves to CDT on 2027-03-14: 09:00 is 15:00Z the Friday before, 14:00Z the Monday after.
    expect(nextOpenAt(weekdays9to5, "America/Chicago", t("2027-03-12T14:30:00Z"))).toBe(t("2027-03-12T15:00:00Z"));
    expect(nextOpenAt(weekdays9to5, "America/Chicago", t("2027-03-13T00:00:00Z"))).toBe(t("2027-03-15T14:00:00Z"));
  });

  it("makes a shift through the DST night an hour shorter or longer", () => {
    const nights = { sat: [["22:00", "24:00"]], sun: [["00:00", "06:00"]] } as const;
    // Europe/Paris leaves summer time on 2026-10-25 at 03:00 local: the night has 9 hours, not 8.
    const [iv] = openIntervals(nights, "Europe/Paris", t("2026-10-24T00:00:00Z"), t("2026-10-26T00:00:00Z"));
    expect(iv).toEqual([t("2026-10-24T20:00:00Z"), t("2026-10-25T05:00:00Z")]);
    expect((iv[1] - iv[0]) / 3_600_000).toBe(9);
  });

  it("moves a start that DST skips forward, as clocks do", () => {
    // 02:30 does not exist in America/Chicago on 2027-03-14.
    const sunday = { sun: [["02:30", "05:00"]] } as const;
    const [iv] = openIntervals(sunday, "America/Chicago", t("2027-03-14T00:00:00Z"), t("2027-03-15T00:00:00Z"));
    expect(iv[0]).toBe(t("2027-03-14T08:30:00Z")); // 03:30 CDT
    expect(iv[1]).toBe(t("2027-03-14T10:00:00Z")); // 05:00 CDT
  });
});

describe("the week in words", () => {
  it("groups consecutive days with the same hours and skips closed days", () => {
    expect(describeWeek({ mon: [["08:00", "20:00"]], tue: [["08:00", "20:00"]], wed: [["08:00", "20:00"]], sat: [["09:00", "13:00"]] })).toBe(
      "Mon–Wed 08:00–20:00, Sat 09:00–13:00",
    );
    expect(describeWeek({ mon: [["08:00", "12:00"], ["13:00", "17:00"]], wed: [["08:00", "12:00"], ["13:00", "17:00"]] })).toBe(
      "Mon 08:00–12:00 and 13:00–17:00, Wed 08:00–12:00 and 13:00–17:00",
    );
    const allDay = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"] as const]]));
    expect(describeWeek(allDay)).toBe("every day, around the clock");
  });
});
