/** The choice of when to be called: as soon as possible, or one of an offer's free slots (the offer step's, and a move's). */
import type { App } from "./app.tsx";
import type { Slot } from "./api-calls.ts";
import { browserTimeZone, formatSlot } from "./time.ts";

export function radio(name: string, checked: boolean, label: string, pick: () => void, value?: string) {
  return (
    <label class="opt">
      <input type="radio" name={name} value={value} checked={checked} onChange={pick} />
      {label}
    </label>
  );
}

/** The free slots of `slots`, the one whose start is `start` (none: as soon as possible). */
export function freeSlots(slots: readonly Slot[], start: string): { free: Slot[]; slot: Slot | undefined } {
  const free = slots.filter((s) => s.capacity > 0);
  return { free, slot: free.find((f) => f.start === start) };
}

export function whenChoices(app: App, free: readonly Slot[], slot: Slot | undefined, pick: (start: string) => void) {
  const { t, locale } = app;
  const zone = browserTimeZone();
  return (
    <fieldset>
      <legend>{t.when}</legend>
      <p class="note">{t.zone(zone)}</p>
      <div class="slots">
        {radio("when", !slot, t.asap, () => pick(""), "asap")}
        {free.map((f) => radio("when", f === slot, formatSlot(f, locale, zone), () => pick(f.start), f.start))}
      </div>
    </fieldset>
  );
}
