/** Small meshes and needs for the scheduler's tests: fixed timestamps, no wall clock. */
import type { DigestAgent } from "../../federation/wire/digest.ts";
import type { MemberHealth, MeshMember } from "../../federation/runtime/mesh-view.ts";
import type { CallbackNeed, SchedulingContext } from "../../objects/callback-cloud/scheduling/index.ts";
import { DEFAULT_WEIGHTS } from "../../objects/callback-cloud/scheduling/index.ts";
import { INSTANTS } from "../constants.ts";

export const T0 = INSTANTS.schedulerMonday;
export const MIN = 60_000;
export const SLOT = 30 * MIN;
export const at = (minutes: number) => T0 + minutes * MIN;

/** A digest ref (r_ + 20 hex digits) from a short name, readable in failures. */
export function ref(name: string): string {
  const hex = [...name].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
  return `r_${hex.padEnd(20, "0").slice(0, 20)}`;
}

/** The name back from a fixture ref. */
export function nameOf(r: string): string {
  return r
    .slice(2)
    .replace(/(00)+$/, "")
    .replace(/../g, (h) => String.fromCharCode(Number.parseInt(h, 16)));
}

export function agent(name: string, over: Partial<DigestAgent> = {}): DigestAgent {
  return {
    ref: ref(name),
    skills: { repair: 3 },
    channels: ["voice"],
    languages: ["en"],
    state: "available",
    expectedAvailableAtMs: T0,
    capacity: 1,
    freeCapacity: 1,
    free: [[T0, at(8 * 60)]],
    ...over,
  };
}

export function member(siteId: string, agents: DigestAgent[], over: { health?: MemberHealth; digestAgeMs?: number; ttlMs?: number } = {}): MeshMember {
  const health = over.health ?? "up";
  return {
    siteId,
    health,
    digest: {
      version: 1,
      siteId,
      seq: 1,
      issuedAtMs: T0,
      ttlMs: over.ttlMs ?? 4_000,
      agents,
      skills: {},
    },
    digestAgeMs: over.digestAgeMs ?? 0,
  };
}

export function ctx(over: Partial<SchedulingContext> = {}): SchedulingContext {
  return { nowMs: T0, slotMs: SLOT, siteIds: ["paris", "austin", "manila"], weights: { ...DEFAULT_WEIGHTS }, ...over };
}

export function need(id: string, over: Partial<CallbackNeed> = {}): CallbackNeed {
  return { id, skill: "repair", level: 3, channel: "voice", earliestMs: T0, latestStartMs: at(120), asap: true, priority: 3, ...over };
}

/** A seeded PRNG (mulberry32): the same cases on every run. */
export { prng } from "../../bench/lib/prng.ts";
