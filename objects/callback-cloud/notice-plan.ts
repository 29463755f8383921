/**
 * The messages a customer gets besides the call itself: a confirmation once the callback
 * is first planned, and a reminder a while before the call. Pure decisions: which channel
 * and address, when the reminder is due, and what each message says.
 */
import type { CallbackStatus, Channel } from "../../federation/wire/vocabulary.ts";

export type NoticeKind = "confirmation" | "reminder";
export type NoticeChannel = "sms" | "email";
/** The customer's choice at request time: a channel, none at all, or (absent) whatever their media suggest. */
export type NotifyChoice = NoticeChannel | "none";

export interface NoticeSettings {
  confirmation: boolean;
  /** How long before the call the reminder goes; 0: no reminder. */
  reminderMinutes: number;
}

export const DEFAULT_NOTICES: NoticeSettings = { confirmation: true, reminderMinutes: 60 };

/**
 * Where the customer's messages go: the channel they chose, else the first text channel among
 * the media they asked for, else email, then SMS, by the contact they gave; always one the
 * provider has an endpoint for. Null: nowhere (no such channel, or the customer said none).
 */
export function noticeAddress(input: {
  notify: NotifyChoice | null;
  media: readonly Channel[];
  contact: { phone?: string; email?: string };
  providerChannels: readonly Channel[];
}): { channel: NoticeChannel; to: string } | null {
  const addressOf = (ch: NoticeChannel) => (ch === "email" ? input.contact.email : input.contact.phone);
  const usable = (ch: NoticeChannel) => input.providerChannels.includes(ch) && addressOf(ch) !== undefined;
  if (input.notify === "none") return null;
  const order: NoticeChannel[] = input.notify
    ? [input.notify]
    : [...input.media.filter((m): m is NoticeChannel => m === "sms" || m === "email"), "email", "sms"];
  const channel = order.find(usable);
  return channel ? { channel, to: addressOf(channel) as string } : null;
}

/** Statuses in which a reminder still makes sense: the call is planned at a time and not begun. */
const REMINDABLE: readonly CallbackStatus[] = ["scheduled"];

/**
 * When the reminder for a call at `scheduledForMs` is due, or null when there is none: no
 * reminders wanted, the call is not planned at a time, it is a text (the text is the
 * callback), or the reminder's time has already passed (a call soon needs no reminder).
 */
export function reminderDue(input: {
  settings: NoticeSettings;
  status: CallbackStatus;
  channel: Channel;
  scheduledForMs: number | null;
  nowMs: number;
}): number | null {
  const { settings, scheduledForMs } = input;
  if (settings.reminderMinutes <= 0 || scheduledForMs === null || !REMINDABLE.includes(input.status)) return null;
  if (input.channel === "sms" || input.channel === "email" || input.channel === "chat") return null;
  const due = scheduledForMs - settings.reminderMinutes * 60_000;
  return due > input.nowMs ? due : null;
}

/** "at 14:30 on Tue 8 Dec (CET)": the call's time as the provider's customers read their clocks. */
export function callTime(atMs: number, timeZone: string): string {
  const part = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat("en-GB", { timeZone, ...options }).format(atMs);
  const zone =
    // en-US names North American zones as people write them (CST), and others by offset (GMT+1).
    new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" }).formatToParts(atMs).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
  return `at ${part({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" })} on ${part({ weekday: "short", day: "numeric", month: "short" })} (${zone})`;
}

/** What a notice says: who, when, the reference, and the link to see, move or cancel the callback. */
export function noticeText(input: {
  kind: NoticeKind;
  providerName: string;
  confirmation: string;
  scheduledForMs: number | null;
  timeZone: string;
  link: string;
}): string {
  const when = input.scheduledForMs === null ? null : callTime(input.scheduledForMs, input.timeZone);
  const ref = `(ref ${input.confirmation})`;
  if (input.kind === "reminder") {
    return `${input.providerName}: a reminder, we will call you ${when ?? "soon"} ${ref}. To see, move or cancel it: ${input.link}`;
  }
  const promise = when ? `we will call you ${when}` : "we have your request and will call you as soon as someone is free";
  return `${input.providerName}: ${promise} ${ref}. To see, move or cancel it: ${input.link}`;
}

/** The page where the customer follows the callback: the verifier rides in the fragment, so no server log ever sees it. */
export function manageLink(publicUrl: string, providerId: string, confirmation: string, verifier: string): string {
  const base = publicUrl.replace(/\/+$/, "");
  return `${base}/callback?provider=${encodeURIComponent(providerId)}#confirmation=${encodeURIComponent(confirmation)}&verifier=${encodeURIComponent(verifier)}`;
}
