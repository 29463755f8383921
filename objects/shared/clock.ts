/**
 * The one clock. Objects, routes and token checks read time only through it, so tests can
 * move it: a workerd test project replaces `systemClock.now` for its whole isolate
 * (test/workers/project-clock.ts). Only a real timer's deadline reads the runtime's own time.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stands still until told to move: for tests and benchmarks. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
