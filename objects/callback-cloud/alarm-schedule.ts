/**
 * The one alarm of a callback cloud, set to the earliest due work (a little early:
 * calls due at one instant are recorded before it and go out on it). Re-armed after
 * every change and on start, so an alarm lost to a restart comes back.
 */
import { DIAL_LEAD_MS, type CloudContext } from "./cloud-context.ts";

export class AlarmSchedule {
  /** The alarm as last set; null when none. Read from storage once, on start. */
  private atMs: number | null = null;

  /** `alsoDue`: other work's next time (owed releases), woken for without the dial lead. */
  constructor(
    private readonly c: CloudContext,
    private readonly alsoDue: () => number | null = () => null,
  ) {}

  async load(): Promise<void> {
    this.atMs = await this.c.storage.getAlarm();
  }

  /** The alarm ran: it is no longer set. */
  fired(): void {
    this.atMs = null;
  }

  async rearm(): Promise<void> {
    const due = this.c.sql<{ t: number | null }>`SELECT min(due_at_ms) AS t FROM callbacks WHERE due_at_ms IS NOT NULL`.one().t;
    const other = this.alsoDue();
    const next = due === null ? other : other === null ? due - DIAL_LEAD_MS : Math.min(due - DIAL_LEAD_MS, other);
    if (next === null) {
      if (this.atMs !== null) await this.c.storage.deleteAlarm();
      this.atMs = null;
      return;
    }
    const at = next;
    if (this.atMs === at) return;
    this.atMs = at;
    await this.c.storage.setAlarm(at);
  }
}
