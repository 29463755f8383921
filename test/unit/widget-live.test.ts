import { describe, expect, it } from "vitest";
import type { CallbackStatus } from "../../pages/widget/api-calls.ts";
import { coalesce, isFinal } from "../../pages/widget/live.ts";

/** A task whose runs are counted and finished by the test, one at a time. */
function controlled() {
  const finishers: (() => void)[] = [];
  let started = 0;
  const task = () => {
    started++;
    return new Promise<void>((resolve) => finishers.push(resolve));
  };
  const finish = async (): Promise<void> => {
    finishers.shift()!();
    // Lets the run's promise and coalesce's finally settle.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { task, finish, started: () => started, open: () => finishers.length };
}

describe("coalesce: one run at a time, one more asked for during a run", () => {
  it("runs at once when idle", () => {
    const c = controlled();
    coalesce(c.task)();
    expect(c.started()).toBe(1);
  });

  it("does not start a second run while one is in flight", () => {
    const c = controlled();
    const run = coalesce(c.task);
    run();
    run();
    expect(c.started()).toBe(1);
    expect(c.open()).toBe(1);
  });

  it("runs once more after the run, however many calls came during it", async () => {
    const c = controlled();
    const run = coalesce(c.task);
    run();
    run();
    run();
    run();
    await c.finish();
    expect(c.started()).toBe(2);
    await c.finish();
    expect(c.started()).toBe(2);
    expect(c.open()).toBe(0);
  });

  it("does not run again after a run no call came during", async () => {
    const c = controlled();
    coalesce(c.task)();
    await c.finish();
    expect(c.started()).toBe(1);
    expect(c.open()).toBe(0);
  });

  it("runs again for a call after the run is over", async () => {
    const c = controlled();
    const run = coalesce(c.task);
    run();
    await c.finish();
    run();
    expect(c.started()).toBe(2);
  });

  it("queues one more for a call during the queued run", async () => {
    const c = controlled();
    const run = coalesce(c.task);
    run();
    run();
    await c.finish(); // the queued run starts
    run();
    run();
    expect(c.started()).toBe(2);
    await c.finish();
    expect(c.started()).toBe(3);
    await c.finish();
    expect(c.started()).toBe(3);
  });
});

describe("isFinal: whether a callback is over", () => {
  it("is true for the ending statuses only", () => {
    const expected = {
      pending: false,
      scheduled: false,
      dialing: false,
      connected: false,
      retrying: false,
      completed: true,
      answered: true,
      failed: true,
      cancelled: true,
      expired: true,
    } satisfies Record<CallbackStatus, boolean>;
    for (const [status, final] of Object.entries(expected)) expect(isFinal(status as CallbackStatus), status).toBe(final);
  });
});
