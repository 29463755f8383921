/** Times as the customer reads them: in their own time zone, in the widget's language. Pure but for browserTimeZone. */
export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** A slot as a weekday and a time range, e.g. "Tue 2:00 – 2:15 PM". */
export function formatSlot(slot: { start: string; end: string }, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, { weekday: "short", hour: "numeric", minute: "2-digit", timeZone }).formatRange(
    new Date(slot.start),
    new Date(slot.end),
  );
}

/** One instant in full, its zone named, e.g. "Tuesday, December 8 at 2:00 PM CET". */
export function formatInstant(iso: string, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "numeric",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  }).format(new Date(iso));
}
