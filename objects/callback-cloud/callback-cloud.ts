/**
 * The callback cloud of one provider: it accepts callback requests, plans time,
 * channel and agent across the mesh, reserves at the agent's site, and fires each
 * callback at its time from a single alarm set to the earliest due work. Every
 * effect of the alarm is idempotent: attempts are recorded before the media server
 * is called, with an idempotency key it honours.
 */
import { DurableObject } from "cloudflare:workers";
import { DirectMeshView, GossipMeshView, type MeshMember, type MeshView } from "../../federation/mesh-view.ts";
import { SiteClient, type SiteTransportEnv } from "../../federation/site-client.ts";
import type { Channel } from "../roster/model.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { fail, ok, type Result } from "../shared/problem.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import { deriveVerifier, hashVerifier, newConfirmation } from "./confirmation.ts";
import { hostedIntentEngine, type AiBinding, type AsyncIntentEngine } from "./intent/hosted.ts";
import { trainIntentEngine, type IntentAnalysis, type IntentEngine } from "./intents.ts";
import { canMove, isFinal, isTextChannel, nextAfterOutcome, type CallbackStatus } from "./lifecycle.ts";
import { WebhookMediaServer, type AttemptOutcome, type DialRequest, type DialResult, type MediaServer } from "./media-server.ts";
import { CLOUD_MIGRATIONS } from "./migrations.ts";
import {
  callbackView,
  customerDetail,
  type AttemptRow,
  type CallbackRow,
  type CallbackView,
  type EventView,
} from "./views.ts";
import { publicProvider, type ProviderRegistration, type PublicProvider } from "./provider.ts";
import type { CallbackRequest, CompleteBody, TransferBody } from "./requests.ts";
import { checkWindow, closedNotice, retryAt, slotsInWindow } from "./rules.ts";
import {
  movesBetween,
  offerCapacity,
  planTogether,
  rankFor,
  resolveWeights,
  type CallbackNeed,
  type Move,
  type PlanResult,
  type SchedulingContext,
} from "./scheduling/index.ts";
import { verify as verifySignature } from "./signing.ts";
import { callbackByConfirmation, callbackPage, callbacksOfAgents, type AgentKey, type CallbackPageQuery, type GraphCallback } from "./graph-reads.ts";

export interface CloudEnv extends SiteTransportEnv {
  /** The simulated media server (local mesh, tests); providers with a webhook use theirs. */
  MEDIA?: DurableObjectNamespace<import("../media-server/simulated-media-server.ts").SimulatedMediaServer>;
  /** Where customers reach this edge, for the links it hands out. */
  PUBLIC_URL?: string;
  /** The edge's mesh view: digests gossiped by every member. */
  MESH_VIEW?: DurableObjectNamespace<import("../mesh-view/mesh-view.ts").MeshView>;
  /** Key of the verifiers handed to customers (and of the edge's tokens). */
  EDGE_JWT_SECRET: string;
  /** "workers-ai" puts the hosted model (binding AI) in front of the local intent engine; off by default. */
  INTENT_ENGINE?: string;
  AI?: AiBinding;
}

/** Who asks. Customers prove themselves with the verifier; staff with their token (checked by the Worker). */
export type Actor =
  | { role: "customer"; verifier: string }
  | { role: "admin" }
  | { role: "ops" }
  | { role: "agent"; siteId: string; agentId: string };

export interface Offer {
  estimatedWaitSeconds: number | null;
  slots: { start: string; end: string; capacity: number }[];
  channels: Channel[];
  /** Whether the provider's hours allow a call now. */
  openNow: boolean;
  /** Closed now: when it opens next (absent when not within the booking horizon). */
  opensAt?: string;
  /** Why the wait is what it is, for a person: closed until …, or nobody free. */
  notice?: string;
}

/** How soon an unplanned callback is planned again. */
export const REPLAN_INTERVAL_MS = 60_000;
/** How long a dial with no progress report counts as under way. */
export const PROGRESS_TIMEOUT_MS = 2 * 60_000;
/** Callbacks handled per alarm run; the alarm re-arms at once for the rest. */
const ALARM_BATCH = 2000;
/** Callbacks prepared at once in an alarm run (each may call a site). */
const PREPARE_CONCURRENCY = 16;
/** How early the alarm wakes for due work, so attempt records are durable before the call time. */
export const DIAL_LEAD_MS = 300;
/** How long before the call the agent's reservation is confirmed at its site. */
export const CLAIM_LEAD_MS = 30_000;
/** Reservations asked for one callback in one plan, at most (named agents, then sites choosing). */
const MAX_TRIES = 12;
/** Callbacks holding agents in the contested slots that a plan may move, at most. */
const MAX_HOLDERS = 32;

type PlanReason = "request" | "replan" | "transfer" | "lost";
/** One reservation to ask a site for; no agent: the site chooses. */
type Try = { siteId: string; agentId: string | null; startMs: number; level?: number };
const iso = (ms: number) => new Date(ms).toISOString();

export class CallbackCloud extends DurableObject<CloudEnv> {
  /** Replaced by tests (through runInDurableObject) to move time. */
  clock: Clock = systemClock;
  /** Replaced by tests to choose where agents come from; gossip replaces it in production. */
  mesh: MeshView;
  private readonly sites: SiteClient;
  private readonly sql: Sql;
  private alarmAtMs: number | null = null;
  /** Derived from the stored registration; rebuilt on a new one. */
  private engine: { for: ProviderRegistration["intents"]; engine: IntentEngine; hosted: AsyncIntentEngine | null } | null = null;
  /** The stored registration, parsed (derived; dropped on configure). */
  private providerMemo: { ordinal: number; registration: ProviderRegistration } | null = null;
  /** Open server-sent-event streams per callback: connection state, not data. */
  private readonly listeners = new Map<string, Set<WritableStreamDefaultWriter<Uint8Array>>>();

  constructor(ctx: DurableObjectState, env: CloudEnv) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    this.sites = new SiteClient(env);
    const direct = new DirectMeshView(this.sites, () => this.clock.now());
    this.mesh = env.MESH_VIEW ? new GossipMeshView(env.MESH_VIEW.getByName("mesh"), direct) : direct;
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, CLOUD_MIGRATIONS, this.clock.now());
      this.alarmAtMs = await ctx.storage.getAlarm();
      await this.rearm();
    });
  }

  // ---- provider ---------------------------------------------------------------------------

  async configure(registration: ProviderRegistration, ordinal: number): Promise<void> {
    this.sql`INSERT INTO provider (id, ordinal, registration, updated_at_ms) VALUES (${registration.id}, ${ordinal},
      ${JSON.stringify(registration)}, ${this.clock.now()})
      ON CONFLICT (id) DO UPDATE SET registration = excluded.registration, updated_at_ms = excluded.updated_at_ms`;
    this.engine = null;
    this.providerMemo = null;
  }

  /** The registration as anyone may see it: no secrets. */
  async publicRegistration(): Promise<PublicProvider | null> {
    const p = this.provider();
    return p ? publicProvider(p.registration) : null;
  }

  async analyze(text: string, language?: string): Promise<Result<IntentAnalysis>> {
    const p = this.provider();
    if (!p) return noProvider();
    return ok(await this.analyzeReason(p.registration, text, language));
  }

  // ---- offers -----------------------------------------------------------------------------

  /**
   * Slots inside the provider's rules that its sites have capacity for, over the next
   * day: from the mesh view, the same model the plan uses (agents with the intent's
   * skill whose free time covers the slot), less the callbacks already waiting here.
   * An offer is an estimate; the reservation at the site stays the authority.
   */
  async offer(reason?: string): Promise<Result<Offer>> {
    const p = this.provider();
    if (!p) return noProvider();
    const reg = p.registration;
    const now = this.clock.now();
    const intent = reason ? await this.analyzeReason(reg, reason) : null;
    // Without a reason (or an understood one), any agent who serves one of the provider's intents counts.
    const known = primarySkill(intent?.skills ?? {});
    const skills = known ? [known.name] : [...new Set(reg.intents.flatMap((i) => Object.keys(i.skills)))];
    const ruleSlots = slotsInWindow(reg.rules, reg.timezone, now, now + 86_400_000, now, 96);
    const slots: Offer["slots"] = [];
    if (ruleSlots.length > 0 && skills.length > 0) {
      const members = await this.mesh.members(reg.sites);
      const pending = this.sql<{ n: number }>`SELECT count(*) AS n FROM callbacks WHERE status = 'pending'
        AND skill IN (SELECT value FROM json_each(${JSON.stringify(skills)}))`.one().n as number;
      const capacity = offerCapacity(members, { skills, channel: "voice", slots: ruleSlots, pending, siteIds: reg.sites });
      ruleSlots.forEach((s, i) => {
        const free = capacity[i] ?? 0;
        if (free > 0) slots.push({ start: iso(s.startMs), end: iso(s.endMs), capacity: free });
      });
    }
    const first = slots[0] ? Date.parse(slots[0].start) : null;
    const closed = closedNotice(reg.rules, reg.timezone, now);
    const notice =
      closed?.message ??
      (slots.length === 0 ? "Nobody who handles this is free in the next 24 hours; you can still ask, and we will call when someone is." : undefined);
    return ok({
      estimatedWaitSeconds: first === null ? null : Math.max(0, Math.round((first - now) / 1000)),
      slots: slots.slice(0, 32),
      channels: reg.rules.allowedMedia,
      openNow: closed === null,
      ...(closed?.opensAtMs != null ? { opensAt: iso(closed.opensAtMs) } : {}),
      ...(notice ? { notice } : {}),
    });
  }

  // ---- callbacks --------------------------------------------------------------------------

  /**
   * Accepts a callback: idempotent by key; checked against the rules; analysed;
   * persisted; planned and reserved; the alarm set. Answers only once it is durable.
   */
  async request(
    input: CallbackRequest,
    userId: string,
    idempotencyKey: string,
  ): Promise<Result<{ callback: CallbackView; verifier: string; replayed: boolean }>> {
    const p = this.provider();
    if (!p) return noProvider();
    const reg = p.registration;
    const now = this.clock.now();
    const requestHash = await sha256(JSON.stringify({ userId, input }));

    const prior = this.sql<CallbackRow>`SELECT * FROM callbacks WHERE idempotency_key = ${idempotencyKey}`.toArray()[0];
    if (prior) {
      if (prior.request_hash !== requestHash) {
        return fail(409, "idempotency_key_reused", "this Idempotency-Key was used for a different request", {
          confirmation: prior.confirmation,
        });
      }
      const verifier = await deriveVerifier(this.env.EDGE_JWT_SECRET, prior.confirmation);
      return ok({ callback: this.view(prior, { role: "admin" }), verifier, replayed: true });
    }

    const window = checkWindow(
      reg.rules,
      reg.timezone,
      "asap" in input.when ? { asap: true } : { startMs: Date.parse(input.when.start), endMs: Date.parse(input.when.end) },
      now,
    );
    if (!window.ok) {
      return fail(422, `window_${window.reason}`, window.message, {
        reason: window.reason,
        ...(window.earliestSlotMs !== undefined ? { earliestPossible: iso(window.earliestSlotMs) } : {}),
      });
    }
    const media = input.media.filter((m) => reg.rules.allowedMedia.includes(m));
    if (media.length === 0) {
      return fail(422, "media_not_allowed", `${reg.name} calls back only by ${reg.rules.allowedMedia.join(", ")}`, {
        allowed: reg.rules.allowedMedia,
      });
    }

    const language = input.language ?? "en";
    const analysis = await this.analyzeReason(reg, input.reason, language);
    const skill = primarySkill(analysis.skills) ?? generalistSkill(reg);
    const id = `cb_${crypto.randomUUID().replaceAll("-", "")}`;
    const confirmation = newConfirmation(p.ordinal);
    const verifier = await deriveVerifier(this.env.EDGE_JWT_SECRET, confirmation);
    const verifierHash = await hashVerifier(verifier);
    this.ctx.storage.transactionSync(() => {
      this.sql`INSERT INTO callbacks (id, confirmation, verifier_hash, idempotency_key, request_hash, user_id, status, reason, notes,
        language, intent, skill, skill_level, priority, media, contact, window_start_ms, window_end_ms, channel, due_at_ms,
        created_at_ms, updated_at_ms, asap)
        VALUES (${id}, ${confirmation}, ${verifierHash}, ${idempotencyKey}, ${requestHash}, ${userId}, 'pending',
        ${input.reason}, ${input.notes ?? null}, ${language}, ${JSON.stringify(analysis)}, ${skill?.name ?? null}, ${skill?.level ?? 1},
        ${analysis.priority}, ${JSON.stringify(media)}, ${JSON.stringify(input.contact)}, ${window.startMs}, ${window.endMs},
        ${media[0]}, ${now + REPLAN_INTERVAL_MS}, ${now}, ${now}, ${"asap" in input.when ? 1 : 0})`;
      this.event(id, now, "received", {
        window: { start: iso(window.startMs), end: iso(window.endMs) },
        media,
        ...(window.notice ? { notice: window.notice } : {}),
      });
      this.event(id, now, "intent", {
        intent: analysis.intent.name,
        confidence: analysis.intent.confidence,
        priority: analysis.priority,
        ...(analysis.urgency.length > 0 ? { urgency: analysis.urgency } : {}),
      });
    });
    // Planned here and now; the alarm is due only later, as a safety net should this request die midway
    // (were it due now, the alarm could plan the same callback a second time, concurrently).
    await this.plan(this.mustGet(id), now, "request");
    await this.rearm();
    return ok({ callback: this.view(this.mustGet(id), { role: "admin" }), verifier, replayed: false });
  }

  async status(confirmation: string, actor: Actor): Promise<Result<CallbackView>> {
    const cb = await this.visible(confirmation, actor);
    if (!cb) return notFound();
    if (actor.role === "agent" && !this.hasEvent(cb.id, "viewed")) {
      this.event(cb.id, this.clock.now(), "viewed", { by: "agent" });
    }
    return ok(this.view(this.mustGet(cb.id), actor));
  }

  async cancel(confirmation: string, actor: Actor): Promise<Result<CallbackView>> {
    const cb = await this.visible(confirmation, actor);
    if (!cb) return notFound();
    if (cb.status === "cancelled") return ok(this.view(cb, actor));
    if (!canMove(cb.status, "cancelled")) return illegal(cb.status, "cancelled");
    await this.releaseReservation(cb);
    this.move(cb, "cancelled", { due: null }, "cancelled", { by: actor.role });
    await this.rearm();
    return ok(this.view(this.mustGet(cb.id), actor));
  }

  async annotate(confirmation: string, actor: Actor, text: string): Promise<Result<CallbackView>> {
    const cb = await this.visible(confirmation, actor);
    if (!cb) return notFound();
    this.event(cb.id, this.clock.now(), "annotated", { by: actor.role, text });
    return ok(this.view(cb, actor));
  }

  /** The agent answers in writing instead of calling; the customer sees the answer. */
  async answer(confirmation: string, actor: Actor, text: string): Promise<Result<CallbackView>> {
    const cb = await this.visible(confirmation, actor);
    if (!cb) return notFound();
    if (!canMove(cb.status, "answered")) return illegal(cb.status, "answered");
    await this.releaseReservation(cb);
    this.sql`UPDATE callbacks SET answer = ${text} WHERE id = ${cb.id}`;
    this.move(cb, "answered", { due: null }, "answered", { by: actor.role });
    await this.rearm();
    return ok(this.view(this.mustGet(cb.id), actor));
  }

  async transfer(confirmation: string, actor: Actor, to: TransferBody): Promise<Result<CallbackView>> {
    const cb = await this.visible(confirmation, actor);
    if (!cb) return notFound();
    if (isFinal(cb.status) || cb.status === "dialing" || cb.status === "connected") {
      return fail(409, "cannot_transfer", `a ${cb.status} callback cannot be transferred`, { status: cb.status });
    }
    const reg = this.mustProvider().registration;
    if (to.siteId && !reg.sites.includes(to.siteId)) {
      return fail(422, "site_not_serving", `site ${to.siteId} does not serve ${reg.name}`, { sites: reg.sites });
    }
    await this.releaseReservation(cb);
    const now = this.clock.now();
    this.forgetAgent(cb.id);
    this.sql`UPDATE callbacks SET skill = coalesce(${to.skill ?? null}, skill), skill_level = ${to.skill ? 1 : cb.skill_level},
      scheduled_for_ms = NULL, updated_at_ms = ${now} WHERE id = ${cb.id}`;
    this.event(cb.id, now, "transferred", { by: actor.role, ...(to.skill ? { skill: to.skill } : {}), ...(to.siteId ? { toSite: to.siteId } : {}) });
    await this.plan(this.mustGet(cb.id), now, "transfer", to.siteId);
    await this.rearm();
    return ok(this.view(this.mustGet(cb.id), actor));
  }

  async complete(confirmation: string, actor: Actor, body: CompleteBody): Promise<Result<CallbackView>> {
    const cb = await this.visible(confirmation, actor);
    if (!cb) return notFound();
    if (cb.status === "completed") return ok(this.view(cb, actor));
    if (!canMove(cb.status, "completed")) return illegal(cb.status, "completed");
    await this.releaseReservation(cb);
    this.move(cb, "completed", { due: null }, "completed", { by: actor.role, outcome: body.outcome, ...(body.notes ? { text: body.notes } : {}) });
    await this.rearm();
    return ok(this.view(this.mustGet(cb.id), actor));
  }

  /** Call progress from the provider's own media server, signed with its webhook secret. */
  async progress(confirmation: string, rawBody: string, signature: string | null, attempt: number, outcome: AttemptOutcome): Promise<Result<CallbackView>> {
    const reg = this.provider()?.registration;
    const cb = this.byConfirmation(confirmation);
    const now = this.clock.now();
    if (!reg?.webhook || !(await verifySignature(reg.webhook.secret, rawBody, signature, now))) {
      return fail(401, "bad_signature", "the progress report is not signed by this provider's media server");
    }
    if (!cb) return notFound();
    const row = this.sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id = ${cb.id} AND n = ${attempt}`.toArray()[0];
    if (!row) return fail(404, "attempt_not_found", `callback ${confirmation} has no attempt ${attempt}`);
    if (row.outcome === null) await this.applyOutcome(cb, row, outcome, now);
    await this.rearm();
    return ok(this.view(this.mustGet(cb.id), { role: "admin" }));
  }

  /** Server-sent events: the history so far, then each new event as it happens. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const confirmation = url.searchParams.get("confirmation") ?? "";
    const actor = JSON.parse(url.searchParams.get("actor") ?? "null") as Actor | null;
    const cb = actor ? await this.visible(confirmation, actor) : null;
    if (!cb || !actor) {
      return Response.json({ error: { code: "callback_not_found", message: "no such callback", details: null } }, { status: 404 });
    }
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const staff = actor.role !== "customer";
    const send = (e: EventView) => writer.write(encoder.encode(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
    for (const e of this.events(cb.id, staff)) void send(e);
    const set = this.listeners.get(cb.id) ?? new Set();
    set.add(writer);
    this.listeners.set(cb.id, set);
    void writer.closed.finally(() => set.delete(writer)).catch(() => {});
    if (isFinal(cb.status)) void writer.close().catch(() => {});
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
    });
  }

  /**
   * A member went down: every callback reserved there, not yet being called, is
   * planned again now (elsewhere if anyone fits), with an event that says why.
   */
  async siteDown(siteId: string): Promise<number> {
    const now = this.clock.now();
    const affected = this.sql<CallbackRow>`SELECT * FROM callbacks WHERE site_id = ${siteId}
      AND status IN ('scheduled', 'retrying') LIMIT ${ALARM_BATCH}`.toArray();
    for (const cb of affected) {
      this.event(cb.id, now, "replanned", { reason: `site ${siteId} went down`, siteId });
      // Its hold there expires by itself; the site cannot be told.
      this.forgetAgent(cb.id);
      this.sql`UPDATE callbacks SET due_at_ms = ${now} WHERE id = ${cb.id}`;
    }
    await this.rearm();
    return affected.length;
  }

  // ---- the alarm: session manager ----------------------------------------------------------

  async alarm(): Promise<void> {
    const now = this.clock.now();
    this.alarmAtMs = null;
    const due = this.sql<CallbackRow>`SELECT * FROM callbacks WHERE due_at_ms IS NOT NULL AND due_at_ms <= ${now + DIAL_LEAD_MS}
      ORDER BY priority, due_at_ms LIMIT ${ALARM_BATCH}`.toArray();
    const ready: CallbackRow[] = [];
    // Callbacks waiting for an agent are planned together: one assignment, not first come first served.
    const waiting = due.filter((cb) => cb.status === "pending" && now < cb.window_end_ms);
    let rest = due;
    if (waiting.length > 0) {
      try {
        await this.planMany(waiting, now, "replan");
      } catch (err) {
        console.error("planning failed", waiting.length, (err as Error).message);
        for (const cb of waiting) this.sql`UPDATE callbacks SET due_at_ms = ${now + REPLAN_INTERVAL_MS} WHERE id = ${cb.id}`;
      }
      // Those planned now go on below (their reservation may be due for confirmation); the others wait.
      const planned = new Set(waiting.map((cb) => cb.id));
      rest = due
        .map((cb) => (planned.has(cb.id) ? this.mustGet(cb.id) : cb))
        .filter((cb) => !planned.has(cb.id) || (cb.status !== "pending" && (cb.due_at_ms ?? Infinity) <= now + DIAL_LEAD_MS));
    }
    // Preparing (confirming reservations, expiring) talks to sites, a few callbacks at a time.
    await forEachLimited(rest, PREPARE_CONCURRENCY, async (cb) => {
      try {
        const toDial = await this.prepare(cb, now);
        if (toDial) ready.push(toDial);
      } catch (err) {
        // One callback's trouble must not stall the rest: try it again shortly.
        console.error("callback work failed", cb.confirmation, (err as Error).message);
        this.sql`UPDATE callbacks SET due_at_ms = ${now + REPLAN_INTERVAL_MS} WHERE id = ${cb.id}`;
      }
    });
    await this.dialAll(ready, now);
    await this.rearm();
  }

  /**
   * What is due for one callback, by its status: plan it, confirm its agent's
   * reservation a little ahead of the call, expire it. Answers the callback when it
   * is to be dialed now. Safe to run twice.
   */
  private async prepare(cb: CallbackRow, now: number, depth = 0): Promise<CallbackRow | null> {
    const again = async (): Promise<CallbackRow | null> => {
      const fresh = this.mustGet(cb.id);
      const dueNow = (fresh.status === "scheduled" || fresh.status === "retrying") && (fresh.due_at_ms ?? Infinity) <= now;
      return dueNow && depth < 2 ? this.prepare(fresh, now, depth + 1) : null;
    };
    switch (cb.status) {
      case "pending":
        if (now >= cb.window_end_ms) {
          await this.expire(cb, now);
          return null;
        }
        await this.plan(cb, now, "replan");
        return again();
      case "scheduled":
      case "retrying": {
        const text = isTextChannel(cb.channel);
        if (now >= cb.window_end_ms && !text) {
          await this.expire(cb, now);
          return null;
        }
        if (!text && !cb.reservation_id) {
          await this.plan(cb, now, "replan");
          return again();
        }
        if (!text && cb.claimed_at_ms === null) {
          const claimed = await this.sites.claim(cb.site_id as string, cb.reservation_id as string);
          if (!claimed.ok) {
            this.event(cb.id, now, "replanned", {
              reason: `the agent's reservation could not be confirmed (${claimed.code}: ${claimed.message})`,
              siteId: cb.site_id,
            });
            this.forgetAgent(cb.id);
            await this.plan(this.mustGet(cb.id), now, "lost");
            return again();
          }
          this.sql`UPDATE callbacks SET claimed_at_ms = ${now} WHERE id = ${cb.id}`;
        }
        const at = cb.scheduled_for_ms ?? now;
        if (at > now + DIAL_LEAD_MS) {
          this.sql`UPDATE callbacks SET due_at_ms = ${at} WHERE id = ${cb.id}`;
          return null;
        }
        return this.mustGet(cb.id);
      }
      case "dialing":
        await this.resumeAttempt(cb, now);
        return null;
      default:
        // Final or connected: nothing due.
        this.sql`UPDATE callbacks SET due_at_ms = NULL WHERE id = ${cb.id}`;
        return null;
    }
  }

  /**
   * Dials every callback that is due now together: the attempts are recorded in one
   * transaction first (so an alarm that runs again never dials twice), then the
   * dials go out at once.
   */
  private async dialAll(ready: readonly CallbackRow[], now: number): Promise<void> {
    if (ready.length === 0) return;
    const batch: { cb: CallbackRow; attempt: AttemptRow }[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const cb of ready) {
        const n = (this.sql<{ n: number }>`SELECT count(*) AS n FROM attempts WHERE callback_id = ${cb.id}`.one().n as number) + 1;
        const key = `${cb.id}:${n}`;
        const startedAt = Math.max(now, cb.scheduled_for_ms ?? now);
        this.sql`INSERT INTO attempts (idempotency_key, callback_id, n, channel, started_at_ms) VALUES (${key}, ${cb.id}, ${n}, ${cb.channel}, ${startedAt})`;
        this.move(cb, "dialing", { due: startedAt + PROGRESS_TIMEOUT_MS }, "dialing", { attempt: n, channel: cb.channel });
        batch.push({
          cb,
          attempt: { idempotency_key: key, callback_id: cb.id, n, channel: cb.channel, started_at_ms: startedAt, outcome: null, ended_at_ms: null, issued_at_ms: null },
        });
      }
    });
    // The alarm woke a little early so that the records above are durable by the call time; wait for it.
    const at = Math.min(...batch.map((b) => b.attempt.started_at_ms));
    const wait = at - this.clock.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const reg = this.mustProvider().registration;
    // When the dials left this object: how late a callback fires is measured to here.
    const issuedAt = this.clock.now();
    let results: DialResult[];
    try {
      results = await this.mediaServer().dialMany(batch.map(({ cb, attempt }) => this.dialRequest(reg, cb, attempt)));
    } catch (err) {
      // The attempts stay under way; the alarm asks again with the same keys, and no one is called twice.
      console.error("dials failed", batch.length, (err as Error).message);
      for (const { cb } of batch) this.sql`UPDATE callbacks SET due_at_ms = ${now + REPLAN_INTERVAL_MS} WHERE id = ${cb.id}`;
      return;
    }
    for (const [i, { cb, attempt }] of batch.entries()) {
      this.sql`UPDATE attempts SET issued_at_ms = coalesce(issued_at_ms, ${issuedAt}) WHERE idempotency_key = ${attempt.idempotency_key}`;
      const result = results[i];
      if (result?.outcome) await this.applyOutcome(this.mustGet(cb.id), attempt, result.outcome, issuedAt);
    }
  }

  /** Drops the callback's agent and reservation (already released or lost). */
  private forgetAgent(callbackId: string): void {
    this.sql`UPDATE callbacks SET site_id = NULL, agent_id = NULL, reservation_id = NULL, claimed_at_ms = NULL,
      reserved_until_ms = NULL WHERE id = ${callbackId}`;
  }

  /** Plans one callback: see `planMany`. */
  private async plan(cb: CallbackRow, now: number, why: PlanReason, onlySite?: string): Promise<void> {
    await this.planMany([cb], now, why, onlySite);
  }

  /**
   * Plans callbacks together (scheduling/): the best agents of the whole mesh, as one
   * optimal assignment, so that one callback does not take the only agent another
   * needs. Callbacks already holding an agent in the slots these want (not yet
   * confirmed) take part too, and give way when that serves the whole better. Each
   * plan ends in a reservation at the chosen site; a refusal (409) tries the next
   * best, then lets each site choose. With nobody free in the window, a new request
   * gets the earliest slot that has someone, and the customer is told; otherwise the
   * callback waits (pending) and is planned again shortly, until its window closes.
   */
  private async planMany(cbs: readonly CallbackRow[], now: number, why: PlanReason, onlySite?: string): Promise<void> {
    const reg = this.mustProvider().registration;
    const voice: CallbackRow[] = [];
    for (const cb of cbs) {
      if (isTextChannel(cb.channel)) {
        // Texts need no agent: they go out at the window's start.
        const at = Math.max(now, cb.window_start_ms);
        this.move(cb, "scheduled", { due: at, scheduledFor: at }, "scheduled", { channel: cb.channel, at: iso(at) });
      } else if (!cb.skill) {
        this.wait(cb, now, why, "no intent was recognised and the provider has no generalist skill");
      } else {
        voice.push(cb);
      }
    }
    if (voice.length === 0) return;
    const slotMs = reg.rules.slotMinutes * 60_000;
    const siteIds = onlySite ? [onlySite] : reg.sites;
    const members = await this.mesh.members(siteIds);
    const ctx = this.schedulingContext(reg, now, siteIds);
    const needs = voice.map((cb) => this.needOf(cb, now, slotMs, false));
    const levelOf = (siteId: string, agentId: string, skill: string) =>
      members.find((m) => m.siteId === siteId)?.digest?.agents.find((a) => a.ref === agentId)?.skills[skill];
    const first = planTogether(needs, members, ctx);
    // When every callback got an agent at its level as early as it could start, no holder giving way could do
    // better for it: the callbacks holding agents in its slot are asked in only when one did not, or when the
    // sites refused what the view promised (it may be a second old).
    const ideal = needs.every((n) => {
      const p = first.placements.find((x) => x.callbackId === n.id);
      return p !== undefined && p.startMs <= n.earliestMs && (levelOf(p.siteId, p.agentId, n.skill) ?? 0) >= n.level;
    });
    const withHolders = async (left: readonly CallbackRow[]): Promise<PlanResult | null> => {
      const own = needs.filter((n) => left.some((cb) => cb.id === n.id));
      const holders = onlySite ? [] : this.slotHolders(own, slotMs).map((cb) => this.needOf(cb, now, slotMs, true));
      if (holders.length === 0) return null;
      const joint = planTogether([...own, ...holders], members, ctx);
      await this.giveWay(movesBetween(holders, joint, slotMs), now, slotMs);
      return joint;
    };
    let result = ideal ? first : ((await withHolders(voice)) ?? first);
    let left = await this.reserveAll(voice, result, now, slotMs, levelOf);
    if (left.length > 0 && ideal) {
      const joint = await withHolders(left);
      if (joint) {
        result = joint;
        left = await this.reserveAll(left, joint, now, slotMs, levelOf);
      }
    }
    for (const cb of left) {
      const outside = result.unplaced.find((u) => u.callbackId === cb.id)?.earliestOutsideMs ?? null;
      if (why === "request" && outside !== null && (await this.moveOutsideWindow(cb, outside, members, ctx, now, slotMs))) continue;
      const down = members.filter((m) => m.health !== "up").map((m) => m.siteId);
      this.wait(cb, now, why, `no agent with ${cb.skill} is free before the window closes${down.length ? ` (unreachable: ${down.join(", ")})` : ""}`);
    }
  }

  /** Reserves each callback's placement (or the next best, or what its sites choose); answers those left without. */
  private async reserveAll(
    cbs: readonly CallbackRow[],
    result: PlanResult,
    now: number,
    slotMs: number,
    levelOf: (siteId: string, agentId: string, skill: string) => number | undefined,
  ): Promise<CallbackRow[]> {
    const placed = new Map(result.placements.map((p) => [p.callbackId, p]));
    const left: CallbackRow[] = [];
    await forEachLimited(cbs, PREPARE_CONCURRENCY, async (cb) => {
      const best = placed.get(cb.id);
      const named: Try[] = (best ? [best, ...(result.alternatives.get(cb.id) ?? [])] : []).map((p) => ({
        siteId: p.siteId,
        agentId: p.agentId,
        startMs: p.startMs,
        level: levelOf(p.siteId, p.agentId, cb.skill as string),
      }));
      // The view may be a second old, and the site knows better: when the plan has to wait, each site first
      // chooses whoever it has free at the earliest start (the strongest); after the named agents, at theirs.
      const earliest = Math.max(now, cb.window_start_ms);
      const sites = [...new Set(named.map((t) => t.siteId))];
      const siteChooses = (startMs: number): Try[] => sites.map((siteId) => ({ siteId, agentId: null, startMs }));
      const tries = [
        ...(best && best.startMs > earliest ? siteChooses(earliest) : []),
        ...named,
        ...(best ? siteChooses(best.startMs) : []),
      ];
      if (!(await this.reserveFirst(cb, tries, now, slotMs))) left.push(this.mustGet(cb.id));
    });
    return left;
  }

  /** What the scheduler weighs for this provider now: its weights, its sites' cost, and their load. */
  private schedulingContext(reg: ProviderRegistration, now: number, siteIds: readonly string[]): SchedulingContext {
    const load = this.sql<{ site_id: string; n: number }>`SELECT site_id, count(*) AS n FROM callbacks
      WHERE site_id IS NOT NULL AND status IN ('scheduled', 'retrying') GROUP BY site_id LIMIT 100`.toArray();
    return {
      nowMs: now,
      slotMs: reg.rules.slotMinutes * 60_000,
      siteIds,
      costTier: reg.scheduling?.costTiers,
      siteLoad: Object.fromEntries(load.map((r) => [r.site_id, r.n])),
      weights: resolveWeights(reg.scheduling?.weights),
    };
  }

  /** What one callback needs of an agent; `held`: with the hold it has (a re-plan may move it). */
  private needOf(cb: CallbackRow, now: number, slotMs: number, held: boolean): CallbackNeed {
    const previous = this.sql<{ site_id: string; agent_id: string }>`SELECT site_id, agent_id FROM callbacks
      WHERE user_id = ${cb.user_id} AND id != ${cb.id} AND agent_id IS NOT NULL AND status IN ('connected', 'completed', 'answered')
      ORDER BY updated_at_ms DESC LIMIT 1`.toArray()[0];
    return {
      id: cb.id,
      skill: cb.skill as string,
      level: cb.skill_level,
      channel: cb.channel,
      language: cb.language,
      earliestMs: Math.max(now, cb.window_start_ms),
      latestStartMs: cb.window_end_ms - slotMs,
      asap: cb.asap === 1,
      priority: cb.priority,
      ...(previous ? { previousAgent: { siteId: previous.site_id, agentId: previous.agent_id } } : {}),
      ...(held && cb.site_id && cb.agent_id && cb.scheduled_for_ms !== null
        ? { current: { siteId: cb.site_id, agentId: cb.agent_id, startMs: cb.scheduled_for_ms } }
        : {}),
    };
  }

  /** Callbacks holding an agent (not yet confirmed) in the slots these needs want first. */
  private slotHolders(needs: readonly CallbackNeed[], slotMs: number): CallbackRow[] {
    const from = Math.min(...needs.map((n) => n.earliestMs)) - slotMs;
    const to = Math.max(...needs.map((n) => n.earliestMs)) + slotMs;
    const planning = new Set(needs.map((n) => n.id));
    return this.sql<CallbackRow>`SELECT * FROM callbacks WHERE status = 'scheduled' AND claimed_at_ms IS NULL
      AND reservation_id IS NOT NULL AND scheduled_for_ms > ${from} AND scheduled_for_ms < ${to}
      ORDER BY scheduled_for_ms LIMIT ${MAX_HOLDERS}`
      .toArray()
      .filter((cb) => !planning.has(cb.id) && !isTextChannel(cb.channel));
  }

  /**
   * Moves holders to the agents the joint plan gives them: the new agent is reserved
   * before the old one is released, so a move that fails leaves the callback as it
   * was. Moves that wait on each other in a circle are left alone.
   */
  private async giveWay(moves: readonly Move[], now: number, slotMs: number): Promise<void> {
    for (const m of moves) {
      if (!m.to || m.releaseFirst) continue;
      const cb = this.mustGet(m.callbackId);
      if (cb.status !== "scheduled" || cb.claimed_at_ms !== null || cb.agent_id !== m.from.agentId) continue;
      const answer = await this.sites.reserve(m.to.siteId, {
        callbackId: cb.id,
        agentId: m.to.agentId,
        skill: cb.skill as string,
        channel: cb.channel,
        start: iso(m.to.startMs),
        end: iso(m.to.startMs + slotMs),
      });
      // Later moves may count on this one: stop at the first refusal.
      if (!answer.ok) return;
      const oldReservation = cb.reservation_id;
      this.sql`UPDATE callbacks SET site_id = ${m.to.siteId}, agent_id = ${answer.value.agentId}, reservation_id = ${answer.value.id},
        reserved_until_ms = ${m.to.startMs + slotMs} WHERE id = ${cb.id}`;
      this.move(cb, "scheduled", { due: Math.max(now, m.to.startMs - CLAIM_LEAD_MS), scheduledFor: m.to.startMs }, "replanned", {
        reason: "another callback needed its agent; planned together, both are served",
        at: iso(m.to.startMs),
        siteId: m.to.siteId,
        agentId: answer.value.agentId,
      });
      if (oldReservation) await this.sites.release(m.from.siteId, oldReservation);
    }
  }

  /** Reserves the first of `tries` its site accepts; answers whether one did. */
  private async reserveFirst(cb: CallbackRow, tries: readonly Try[], now: number, slotMs: number, detail: Record<string, unknown> = {}): Promise<boolean> {
    for (const t of tries.slice(0, MAX_TRIES)) {
      const answer = await this.sites.reserve(t.siteId, {
        callbackId: cb.id,
        ...(t.agentId ? { agentId: t.agentId } : {}),
        skill: cb.skill as string,
        channel: cb.channel,
        start: iso(t.startMs),
        end: iso(t.startMs + slotMs),
      });
      if (!answer.ok) continue;
      const fresh = this.mustGet(cb.id);
      if (fresh.status !== cb.status || isFinal(fresh.status) || (fresh.reservation_id !== null && fresh.reservation_id !== answer.value.id)) {
        // Cancelled, answered or planned elsewhere while we were reserving: give the agent back.
        await this.sites.release(t.siteId, answer.value.id);
        return true;
      }
      const agentId = answer.value.agentId;
      this.sql`UPDATE callbacks SET site_id = ${t.siteId}, agent_id = ${agentId}, reservation_id = ${answer.value.id},
        claimed_at_ms = NULL, reserved_until_ms = ${t.startMs + slotMs} WHERE id = ${cb.id}`;
      // Due a little early: the reservation is confirmed ahead, so the call itself goes out on time.
      const due = Math.max(now, t.startMs - CLAIM_LEAD_MS);
      this.move(fresh, "scheduled", { due, scheduledFor: t.startMs }, "scheduled", { at: iso(t.startMs), channel: cb.channel, ...detail });
      this.event(cb.id, now, "agent_assigned", { siteId: t.siteId, agentId, ...(t.agentId && t.level ? { level: t.level } : {}) });
      return true;
    }
    return false;
  }

  /**
   * Nobody fits the requested window: the callback takes the earliest slot after it,
   * within the provider's hours, that an agent has free, and says so.
   */
  private async moveOutsideWindow(
    cb: CallbackRow,
    fromMs: number,
    members: MeshMember[],
    ctx: SchedulingContext,
    now: number,
    slotMs: number,
  ): Promise<boolean> {
    const reg = this.mustProvider().registration;
    const slot = slotsInWindow(reg.rules, reg.timezone, fromMs, fromMs + 14 * 86_400_000, now, 1)[0];
    if (!slot) return false;
    const need = { ...this.needOf(cb, now, slotMs, false), earliestMs: slot.startMs, latestStartMs: slot.startMs + 86_400_000, asap: true };
    const ranked = rankFor(need, members, ctx);
    // Only at provider slots: an agent free from 10:07 is offered the 10:15 slot.
    const tries = ranked.flatMap((p) => {
      const at = slotsInWindow(reg.rules, reg.timezone, p.startMs, p.startMs + 86_400_000, now, 1)[0]?.startMs;
      return at === undefined ? [] : [{ siteId: p.siteId, agentId: p.agentId, startMs: at }];
    });
    const original = { start: iso(cb.window_start_ms), end: iso(cb.window_end_ms) };
    for (const t of tries) {
      if (!(await this.reserveFirst(cb, [t], now, slotMs, { outsideWindow: true }))) continue;
      this.sql`UPDATE callbacks SET window_start_ms = ${t.startMs}, window_end_ms = ${t.startMs + slotMs} WHERE id = ${cb.id}`;
      this.event(cb.id, now, "rescheduled", {
        reason: "no agent is free within the requested window; this is the earliest time one is",
        requested: original,
        at: iso(t.startMs),
      });
      return true;
    }
    return false;
  }

  /** Nobody fits now: the callback waits (pending) and is planned again shortly, until its window closes. */
  private wait(cb: CallbackRow, now: number, why: PlanReason, reason: string): void {
    const next = Math.min(now + REPLAN_INTERVAL_MS, cb.window_end_ms);
    const fresh = this.mustGet(cb.id);
    // Something else moved it while we asked the sites (planned it, cancelled it): leave it be.
    if (fresh.status !== cb.status || fresh.reservation_id !== cb.reservation_id) return;
    if (fresh.status === "pending") {
      this.sql`UPDATE callbacks SET due_at_ms = ${next}, updated_at_ms = ${now} WHERE id = ${cb.id}`;
      if (why !== "replan" || !this.hasEvent(cb.id, "waiting")) this.event(cb.id, now, "waiting", { reason });
    } else if (canMove(fresh.status, "pending")) {
      this.move(fresh, "pending", { due: next, scheduledFor: null }, "waiting", { reason });
    }
  }

  /** The alarm found a dial under way: ask again with the same key (never a second call), or time it out. */
  private async resumeAttempt(cb: CallbackRow, now: number): Promise<void> {
    const last = this.sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id = ${cb.id} ORDER BY n DESC LIMIT 1`.toArray()[0];
    if (!last || last.outcome !== null) {
      this.sql`UPDATE callbacks SET due_at_ms = NULL WHERE id = ${cb.id}`;
      return;
    }
    if (now - last.started_at_ms >= PROGRESS_TIMEOUT_MS && this.usesWebhook()) {
      return this.applyOutcome(cb, last, "failed", now);
    }
    return this.dial(cb, last, now);
  }

  /** Asks the media server again about one attempt under way, with the same key: never a second call. */
  private async dial(cb: CallbackRow, attempt: AttemptRow, now: number): Promise<void> {
    const issuedAt = this.clock.now();
    const result = await this.mediaServer().dial(this.dialRequest(this.mustProvider().registration, cb, attempt));
    this.sql`UPDATE attempts SET issued_at_ms = coalesce(issued_at_ms, ${issuedAt}) WHERE idempotency_key = ${attempt.idempotency_key}`;
    if (result.outcome !== null) await this.applyOutcome(this.mustGet(cb.id), attempt, result.outcome, now);
  }

  private dialRequest(reg: ProviderRegistration, cb: CallbackRow, attempt: AttemptRow): DialRequest {
    const contact = JSON.parse(cb.contact) as { phone?: string; email?: string };
    return {
      idempotencyKey: attempt.idempotency_key,
      confirmation: cb.confirmation,
      attempt: attempt.n,
      channel: attempt.channel,
      to: (attempt.channel === "email" ? contact.email : contact.phone) ?? "",
      from: reg.channels.find((c) => c.type === attempt.channel)?.endpoint ?? "",
      agent: cb.site_id && cb.agent_id ? { siteId: cb.site_id, agentId: cb.agent_id } : null,
      message: isTextChannel(attempt.channel) ? this.textFor(cb) : undefined,
    };
  }

  private async applyOutcome(cb: CallbackRow, attempt: AttemptRow, outcome: AttemptOutcome, now: number): Promise<void> {
    const reg = this.mustProvider().registration;
    const attempts = this.sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id = ${cb.id} ORDER BY n LIMIT 100`
      .toArray()
      .map((a) => ({ channel: a.channel, outcome: a.idempotency_key === attempt.idempotency_key ? outcome : a.outcome }));
    const step = nextAfterOutcome({
      outcome,
      channel: attempt.channel,
      attempts,
      media: JSON.parse(cb.media),
      maxAttempts: reg.rules.maxAttempts,
      retryAt: (n, failedAt) => retryAt(reg.rules, reg.timezone, n, failedAt),
      nowMs: now,
      windowEndMs: cb.window_end_ms + 86_400_000 * (isTextChannel(attempt.channel) ? 1 : 0),
    });
    this.sql`UPDATE attempts SET outcome = ${outcome}, ended_at_ms = ${now} WHERE idempotency_key = ${attempt.idempotency_key}`;
    this.event(cb.id, now, "outcome", { attempt: attempt.n, channel: attempt.channel, outcome });
    switch (step.kind) {
      case "connected":
        this.move(cb, "connected", { due: null }, "connected", { attempt: attempt.n });
        return;
      case "delivered": {
        await this.releaseReservation(cb);
        // A text on the customer's own first choice is the callback; one sent as a fallback only says we tried.
        const primary = (JSON.parse(cb.media) as Channel[])[0];
        if (attempt.channel === primary) {
          this.move(cb, "completed", { due: null }, "completed", { by: "media_server", channel: attempt.channel });
        } else {
          this.move(cb, "failed", { due: null }, "failed", {
            reason: `not reached by ${primary}; a ${attempt.channel} with a link to reschedule was sent`,
          });
        }
        return;
      }
      case "retry":
        // A retry after the agent's reserved slot needs the agent again: give it back and plan anew then.
        if (!isTextChannel(step.channel) && step.atMs >= (cb.reserved_until_ms ?? 0)) {
          await this.releaseReservation(cb);
          this.forgetAgent(cb.id);
        }
        this.move(this.mustGet(cb.id), "retrying", { due: step.atMs, scheduledFor: step.atMs }, "retry_scheduled", {
          at: iso(step.atMs),
          channel: step.channel,
        });
        return;
      case "fallback":
        await this.releaseReservation(cb);
        this.forgetAgent(cb.id);
        this.sql`UPDATE callbacks SET channel = ${step.channel} WHERE id = ${cb.id}`;
        this.move(this.mustGet(cb.id), "retrying", { due: step.atMs, scheduledFor: step.atMs }, "fallback", {
          from: attempt.channel,
          to: step.channel,
        });
        return;
      case "give_up":
        await this.releaseReservation(cb);
        this.move(cb, "failed", { due: null }, "failed", { reason: step.reason });
        return;
    }
  }

  private async expire(cb: CallbackRow, now: number): Promise<void> {
    await this.releaseReservation(cb);
    const waited = this.sql<{ detail: string }>`SELECT detail FROM events WHERE callback_id = ${cb.id} AND type = 'waiting'
      ORDER BY seq DESC LIMIT 1`.toArray()[0];
    const reason = waited ? (JSON.parse(waited.detail) as { reason: string }).reason : "the window closed before the callback could be made";
    this.move(cb, "expired", { due: null }, "expired", { reason });
  }

  // ---- graph reads (the cloud subgraph; the queries live in graph-reads.ts) ----------------

  /** One page of this provider's callbacks, newest first, with attempts and history. */
  async graphCallbacks(q: CallbackPageQuery): Promise<GraphCallback[]> {
    return callbackPage(this.sql, this.provider()?.registration.id ?? "", q);
  }

  /** One callback by confirmation with its attempts, history and agent (staff reads; no verifier). */
  async graphCallback(confirmation: string): Promise<GraphCallback | null> {
    return callbackByConfirmation(this.sql, this.provider()?.registration.id ?? "", confirmation);
  }

  /** The callbacks each agent (site and ref) holds in `statuses`, soonest first, at most `perAgent` each. */
  async graphAgentCallbacks(keys: AgentKey[], statuses: string[], perAgent: number): Promise<GraphCallback[]> {
    return callbacksOfAgents(this.sql, this.provider()?.registration.id ?? "", keys, statuses, perAgent);
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The provider, parsed once per object life (or per configure) rather than on every use. */
  private provider(): { ordinal: number; registration: ProviderRegistration } | null {
    if (this.providerMemo) return this.providerMemo;
    const row = this.sql<{ ordinal: number; registration: string }>`SELECT ordinal, registration FROM provider LIMIT 1`.toArray()[0];
    this.providerMemo = row ? { ordinal: row.ordinal, registration: JSON.parse(row.registration) } : null;
    return this.providerMemo;
  }

  private mustProvider() {
    const p = this.provider();
    if (!p) throw new Error("this callback cloud has no provider");
    return p;
  }

  /** The provider's intent engine, trained once per registration (derived). */
  private intentEngine(reg: ProviderRegistration): { engine: IntentEngine; hosted: AsyncIntentEngine | null } {
    // Keyed by the parsed registration's intents: the same object until configure replaces it.
    const key = reg.intents;
    if (this.engine?.for !== key) {
      const engine = trainIntentEngine(reg.intents);
      const ai = this.env.INTENT_ENGINE === "workers-ai" ? this.env.AI : undefined;
      const hosted = ai
        ? hostedIntentEngine(ai, reg.intents, engine, undefined, { onFallback: (e) => console.error("hosted intent model failed", String(e)) })
        : null;
      this.engine = { for: key, engine, hosted };
    }
    return this.engine;
  }

  private async analyzeReason(reg: ProviderRegistration, text: string, language?: string): Promise<IntentAnalysis> {
    const { engine, hosted } = this.intentEngine(reg);
    return hosted ? hosted.analyze(text, language) : engine.analyze(text, language);
  }

  private usesWebhook(): boolean {
    return this.provider()?.registration.webhook !== undefined;
  }

  private mediaServer(): MediaServer {
    const hook = this.provider()?.registration.webhook;
    if (hook) return new WebhookMediaServer(hook.url, hook.secret, () => this.clock.now());
    if (!this.env.MEDIA) throw new Error("no media server: set the provider's webhook or bind MEDIA");
    return this.env.MEDIA.getByName("simulated");
  }

  private textFor(cb: CallbackRow): string {
    const reg = this.mustProvider().registration;
    const link = `${this.env.PUBLIC_URL ?? ""}/v1/callbacks/${cb.confirmation}`;
    return `${reg.name}: we could not reach you by phone about your request (${cb.confirmation}). Reply or reschedule: ${link}`;
  }

  private byConfirmation(confirmation: string): CallbackRow | null {
    return this.sql<CallbackRow>`SELECT * FROM callbacks WHERE confirmation = ${confirmation}`.toArray()[0] ?? null;
  }

  private mustGet(id: string): CallbackRow {
    const row = this.sql<CallbackRow>`SELECT * FROM callbacks WHERE id = ${id}`.toArray()[0];
    if (!row) throw new Error(`callback ${id} vanished`);
    return row;
  }

  /**
   * The callback if this actor may see it. A wrong verifier looks exactly like an
   * unknown confirmation; an agent sees only the callbacks assigned to it.
   */
  private async visible(confirmation: string, actor: Actor): Promise<CallbackRow | null> {
    const cb = this.byConfirmation(confirmation);
    if (actor.role === "customer") {
      const given = await hashVerifier(actor.verifier);
      const stored = cb?.verifier_hash ?? "0".repeat(64);
      const same = crypto.subtle.timingSafeEqual(new TextEncoder().encode(given), new TextEncoder().encode(stored));
      return cb && same ? cb : null;
    }
    if (!cb) return null;
    if (actor.role === "agent") return cb.site_id === actor.siteId && cb.agent_id === actor.agentId ? cb : null;
    return cb;
  }

  private hasEvent(callbackId: string, type: string): boolean {
    return this.sql`SELECT 1 FROM events WHERE callback_id = ${callbackId} AND type = ${type} LIMIT 1`.toArray().length > 0;
  }

  private move(
    cb: CallbackRow,
    to: CallbackStatus,
    change: { due: number | null; scheduledFor?: number | null },
    eventType: string,
    detail: Record<string, unknown>,
  ): void {
    if (cb.status !== to && !canMove(cb.status, to)) throw new Error(`callback ${cb.id}: ${cb.status} -> ${to} is not a legal move`);
    const now = this.clock.now();
    if (change.scheduledFor === undefined) {
      this.sql`UPDATE callbacks SET status = ${to}, due_at_ms = ${change.due}, updated_at_ms = ${now} WHERE id = ${cb.id}`;
    } else {
      this.sql`UPDATE callbacks SET status = ${to}, due_at_ms = ${change.due}, scheduled_for_ms = ${change.scheduledFor},
        updated_at_ms = ${now} WHERE id = ${cb.id}`;
    }
    this.event(cb.id, now, eventType, detail);
    if (isFinal(to)) this.closeListeners(cb.id);
  }

  private closeListeners(callbackId: string): void {
    for (const w of this.listeners.get(callbackId) ?? []) void w.close().catch(() => {});
    this.listeners.delete(callbackId);
  }

  private event(callbackId: string, atMs: number, type: string, detail: Record<string, unknown>): void {
    this.sql`INSERT INTO events (callback_id, at_ms, type, detail) VALUES (${callbackId}, ${atMs}, ${type}, ${JSON.stringify(detail)})`;
    const writers = this.listeners.get(callbackId);
    if (!writers || writers.size === 0) return;
    const encoder = new TextEncoder();
    for (const w of writers) {
      // Live events carry the customer's view of the detail, whoever listens.
      const view = { at: iso(atMs), type, detail: customerDetail(detail) };
      void w.write(encoder.encode(`event: ${type}\ndata: ${JSON.stringify(view)}\n\n`)).catch(() => writers.delete(w));
    }
  }

  private events(callbackId: string, staff: boolean): EventView[] {
    return this.sql<{ at_ms: number; type: string; detail: string }>`SELECT at_ms, type, detail FROM events
      WHERE callback_id = ${callbackId} ORDER BY seq LIMIT 500`
      .toArray()
      .map((e) => {
        const detail = JSON.parse(e.detail) as Record<string, unknown>;
        return { at: iso(e.at_ms), type: e.type, detail: staff ? detail : customerDetail(detail) };
      });
  }

  private view(cb: CallbackRow, actor: Actor): CallbackView {
    const staff = actor.role !== "customer";
    const attempts = this.sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id = ${cb.id} ORDER BY n LIMIT 100`.toArray();
    return callbackView(cb, attempts, this.events(cb.id, staff), staff, this.env.PUBLIC_URL ?? "");
  }

  private async releaseReservation(cb: CallbackRow): Promise<void> {
    if (!cb.site_id || !cb.reservation_id) return;
    // Best effort: an unreleased hold expires by itself at the site.
    await this.sites.release(cb.site_id, cb.reservation_id);
  }

  private async rearm(): Promise<void> {
    const next = this.sql<{ t: number | null }>`SELECT min(due_at_ms) AS t FROM callbacks WHERE due_at_ms IS NOT NULL`.one().t;
    if (next === null) {
      if (this.alarmAtMs !== null) await this.ctx.storage.deleteAlarm();
      this.alarmAtMs = null;
      return;
    }
    // Woken a little early: calls due at one instant are recorded before it and go out on it.
    const at = next - DIAL_LEAD_MS;
    if (this.alarmAtMs === at) return;
    this.alarmAtMs = at;
    await this.ctx.storage.setAlarm(at);
  }
}

/** The skill an intent needs most. */
function primarySkill(skills: Record<string, number>): { name: string; level: number } | null {
  const [first] = Object.entries(skills).sort((a, b) => b[1] - a[1]);
  return first ? { name: first[0], level: first[1] } : null;
}

/** Where an unknown intent goes: the provider's least demanding intent's skill. */
function generalistSkill(reg: ProviderRegistration): { name: string; level: number } | null {
  const easiest = [...reg.intents].sort(
    (a, b) => Math.max(...Object.values(a.skills)) - Math.max(...Object.values(b.skills)) || b.priority - a.priority,
  )[0];
  return easiest ? primarySkill(easiest.skills) : null;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const noProvider = () => fail(404, "provider_not_found", "no such provider");
const notFound = () => fail(404, "callback_not_found", "no callback with that confirmation and verifier");
const illegal = (from: CallbackStatus, to: CallbackStatus) =>
  fail(409, "illegal_transition", `a ${from} callback cannot become ${to}`, { from, to });
