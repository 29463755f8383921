/**
 * Tells agents' desks what changed among their callbacks. Every event of a callback
 * that has an agent is noted here (and the agent a callback leaves, when it moves);
 * notes made in one turn of the object go out together, one call per agent, after the
 * turn (after the alarm's whole run, see `after`), never inside it: a desk that does not
 * answer delays no callback. Best effort:
 * a desk that misses a notice reads its callbacks again when it reconnects.
 */
import { deskName, type DeskChange } from "../desk-feed/changes.ts";
import type { CloudContext } from "./cloud-context.ts";

export class DeskNotices {
  private readonly pending = new Map<string, DeskChange[]>();
  private flushing = false;
  private held = 0;

  constructor(private readonly c: CloudContext) {}

  note(siteId: string, agentId: string, change: DeskChange): void {
    if (!this.c.env.DESKS) return;
    const name = deskName(siteId, agentId);
    const list = this.pending.get(name) ?? [];
    list.push(change);
    this.pending.set(name, list);
    this.schedule();
  }

  /**
   * Runs `work` with the notices it makes held until it is done: the alarm's run waits for
   * the instant its calls are due, and a notice sent in that wait (an object call per agent,
   * a desk feed woken) would take the one thread the calls then need. Desks hear after.
   */
  async after<T>(work: () => Promise<T>): Promise<T> {
    this.held++;
    try {
      return await work();
    } finally {
      this.held--;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.flushing || this.held > 0 || this.pending.size === 0) return;
    this.flushing = true;
    setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.flushing = false;
    const desks = this.c.env.DESKS;
    if (!desks) return;
    const batches = [...this.pending];
    this.pending.clear();
    for (const [name, changes] of batches) {
      desks
        .getByName(name)
        .notify(changes)
        .catch(() => {
          // A desk feed that cannot be reached loses only this notice (see above).
        });
    }
  }
}
