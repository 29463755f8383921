/**
 * openIntervals keeps the answers it worked out (a roster asks the same shift for every
 * agent): the same question gets the same answer, and a caller's copy is its own.
 */
import { describe, expect, it } from "vitest";
import { openIntervals } from "../../objects/shared/weekly-hours.ts";

const t = (iso: string) => Date.parse(iso);
const weekdays9to5 = { mon: [["09:00", "17:00"]], tue: [["09:00", "17:00"]], wed: [["09:00", "17:00"]], thu: [["09:00", "17:00"]], fri: [["09:00", "17:00"]] } as const;

describe("weekly hours worked out once", () => {
  it("answer a question asked again the same, and each caller gets a copy of its own", () => {
    const from = t("2026-12-04T00:00:00Z");
    const to = t("2026-12-08T00:00:00Z");
    const first = openIntervals(weekdays9to5, "Europe/Paris", from, to);
    expect(first).toEqual([
      [t("2026-12-04T08:00:00Z"), t("2026-12-04T16:00:00Z")],
      [t("2026-12-07T08:00:00Z"), t("2026-12-07T16:00:00Z")],
    ]);
    first.pop();
    first.push([0, 1]);
    expect(openIntervals(weekdays9to5, "Europe/Paris", from, to)).toEqual([
      [t("2026-12-04T08:00:00Z"), t("2026-12-04T16:00:00Z")],
      [t("2026-12-07T08:00:00Z"), t("2026-12-07T16:00:00Z")],
    ]);
  });

  it("tell apart what differs: the hours, the zone, the range, the closed dates", () => {
    const from = t("2026-12-07T00:00:00Z");
    const to = t("2026-12-08T00:00:00Z");
    const paris = openIntervals(weekdays9to5, "Europe/Paris", from, to);
    expect(openIntervals(weekdays9to5, "America/Chicago", from, to)).not.toEqual(paris);
    expect(openIntervals({ ...weekdays9to5, mon: [["10:00", "17:00"]] }, "Europe/Paris", from, to)).toEqual([[t("2026-12-07T09:00:00Z"), t("2026-12-07T16:00:00Z")]]);
    expect(openIntervals(weekdays9to5, "Europe/Paris", from, to, new Set(["2026-12-07"]))).toEqual([]);
    expect(openIntervals(weekdays9to5, "Europe/Paris", from + 9 * 3_600_000, to)).toEqual([[from + 9 * 3_600_000, t("2026-12-07T16:00:00Z")]]);
    expect(openIntervals(weekdays9to5, "Europe/Paris", from, to)).toEqual(paris);
  });
});
