/**
 * One callback shard of a provider, as a Durable Object: it holds the callbacks of
 * the customers whose ids hash to it (their confirmations name it), with their events
 * and one alarm. It wires the modules that each do one job and answers their RPC methods.
 * - provider-record.ts: its copy of the registration and the trained intent engine;
 * - offers.ts: what a page shows before the customer asks;
 * - intake.ts: a request becomes a durable callback; intake-guard.ts: anonymous intake's limits;
 * - planning.ts: which agent, where and when, reserved at the agent's site;
 * - session-manager.ts: what the alarm does when callbacks fall due (claim, dial, outcomes);
 * - callback-actions.ts: status, cancel and the staff's actions, call progress;
 * - reschedule.ts: the customer moves the callback to another window;
 * - callback-store.ts and event-streams.ts: rows, events, views and live events;
 * - alarm-schedule.ts: the one alarm, at the earliest due work;
 * - hold-releases.ts: holds given up that their sites are still owed a release;
 * - webhook-handoff.ts: lifecycle events handed to the provider's webhook object;
 * - notices.ts: the customer's confirmation and reminder, sent after the run's calls;
 * - graph-reads.ts: the cloud subgraph's reads.
 */
import { DurableObject } from "cloudflare:workers";
import { DirectMeshView, GossipMeshView, type MeshView } from "../../federation/runtime/mesh-view.ts";
import { SiteClient } from "../../federation/runtime/site-client.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { guarded, type Result } from "../shared/problem.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import { AlarmSchedule } from "./alarm-schedule.ts";
import { CallbackActions } from "./callback-actions.ts";
import { CallbackStore } from "./callback-store.ts";
import type { Actor, CloudContext, CloudEnv } from "./cloud-context.ts";
import { DeskNotices } from "./desk-notices.ts";
import { deskCallbacks, type DeskCallback } from "./desk-reads.ts";
import { shardFigures, type ShardFigures } from "./service-figures.ts";
import { EventStreams } from "./event-streams.ts";
import { callbackByConfirmation, callbackPage, callbacksOfAgents, type AgentKey, type CallbackPageQuery, type GraphCallback } from "./graph-reads.ts";
import { HoldReleases, type HeldAt } from "./hold-releases.ts";
import { Intake } from "./intake.ts";
import { IntakeGuard, type IntakeCaller, type OfferUse } from "./intake-guard.ts";
import { CLOUD_MIGRATIONS } from "./migrations.ts";
import { Planner } from "./planning.ts";
import { makeOffer, type Offer } from "./offers.ts";
import { ProviderRecord, type Placement } from "./provider-record.ts";
import type { ProviderRegistration } from "./provider.ts";
import type { CallbackRequest, CallbackWhen, CompleteBody, TransferBody } from "./requests.ts";
import { Rescheduler } from "./reschedule.ts";
import { SessionManager } from "./session-manager.ts";
import { WebhookHandoff } from "./webhook-handoff.ts";
import { Notices } from "./notices.ts";
import type { CallbackReceipt, CallbackView } from "./views.ts";
import type { AttemptOutcome } from "../../federation/wire/vocabulary.ts";

export type { Actor, CloudEnv } from "./cloud-context.ts";
export type { Offer } from "./offers.ts";

export class CallbackShard extends DurableObject<CloudEnv> {
  /** Replaced by tests (through runInDurableObject) to move time. */
  clock: Clock = systemClock;
  /** Replaced by tests to choose where agents come from; gossip replaces it in production. */
  mesh: MeshView;
  private readonly sql: Sql;
  private readonly cloud: CloudContext;
  private readonly provider: ProviderRecord;
  private readonly store: CallbackStore;
  private readonly desks: DeskNotices;
  private readonly hooks: WebhookHandoff;
  private readonly notices: Notices;
  private readonly alarmSchedule: AlarmSchedule;
  private readonly releases: HoldReleases;
  private readonly planner: Planner;
  private readonly session: SessionManager;
  private readonly intake: Intake;
  private readonly guard: IntakeGuard;
  private readonly actions: CallbackActions;
  private readonly rescheduler: Rescheduler;

  constructor(ctx: DurableObjectState, env: CloudEnv) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    const sites = new SiteClient(env);
    const direct = new DirectMeshView(sites, () => this.clock.now());
    this.mesh = env.MESH_VIEW ? new GossipMeshView(env.MESH_VIEW.getByName("mesh"), direct) : direct;
    // The clock and the mesh view are read through this object: tests replace them on the instance.
    const c: CloudContext = { env, storage: ctx.storage, sql: this.sql, sites, now: () => this.clock.now(), mesh: () => this.mesh };
    this.cloud = c;
    this.provider = new ProviderRecord(c);
    this.desks = new DeskNotices(c);
    this.hooks = new WebhookHandoff(c, () => this.provider.get()?.registration.id ?? null);
    this.notices = new Notices(c, this.provider, (id, at, type, detail) => this.store.event(id, at, type, detail));
    this.store = new CallbackStore(c, new EventStreams(), this.desks, this.hooks, this.notices);
    this.releases = new HoldReleases(c);
    this.alarmSchedule = new AlarmSchedule(c, () => earliest(earliest(this.releases.nextAt(), this.hooks.nextAt()), this.notices.nextAt()));
    this.planner = new Planner(c, this.store, this.provider, this.releases);
    this.session = new SessionManager(c, this.store, this.provider, this.planner);
    this.guard = new IntakeGuard(c);
    this.intake = new Intake(c, this.store, this.provider, this.planner, this.alarmSchedule, this.guard);
    this.actions = new CallbackActions(c, this.store, this.provider, this.planner, this.session, this.alarmSchedule);
    this.rescheduler = new Rescheduler(c, this.store, this.provider, this.planner, this.releases, this.alarmSchedule);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, CLOUD_MIGRATIONS, this.clock.now());
      await this.alarmSchedule.load();
      await this.alarmSchedule.rearm();
    });
  }

  // ---- the provider -------------------------------------------------------------------------

  /** The provider object pushes its registration here, with this shard's place among the provider's. */
  async configure(registration: ProviderRegistration, place: Placement): Promise<void> {
    this.provider.configure(registration, place);
  }

  async offer(caller: IntakeCaller, reason?: string): Promise<Result<Offer>> {
    return guarded("shard.offer", async () => {
      const p = this.provider.get();
      const admitted = p ? await this.guard.admit(p, caller, null, this.clock.now()) : null;
      return admitted && !admitted.ok ? admitted : makeOffer(this.cloud, this.provider, reason);
    });
  }

  // ---- callbacks ----------------------------------------------------------------------------

  async request(
    input: CallbackRequest,
    userId: string,
    idempotencyKey: string,
    caller: IntakeCaller,
    offer: OfferUse,
  ): Promise<Result<CallbackReceipt>> {
    return guarded("shard.request", () => this.handingOver(this.intake.request(input, userId, idempotencyKey, caller, offer)));
  }

  async status(confirmation: string, actor: Actor): Promise<Result<CallbackView>> {
    return guarded("shard.status", () => this.actions.status(confirmation, actor));
  }

  async cancel(confirmation: string, actor: Actor): Promise<Result<CallbackView>> {
    return guarded("shard.cancel", () => this.handingOver(this.actions.cancel(confirmation, actor)));
  }

  async reschedule(confirmation: string, actor: Actor, when: CallbackWhen): Promise<Result<CallbackView>> {
    return guarded("shard.reschedule", () => this.handingOver(this.rescheduler.reschedule(confirmation, actor, when)));
  }

  async annotate(confirmation: string, actor: Actor, text: string): Promise<Result<CallbackView>> {
    return guarded("shard.annotate", () => this.actions.annotate(confirmation, actor, text));
  }

  async answer(confirmation: string, actor: Actor, text: string): Promise<Result<CallbackView>> {
    return guarded("shard.answer", () => this.handingOver(this.actions.answer(confirmation, actor, text)));
  }

  async transfer(confirmation: string, actor: Actor, to: TransferBody): Promise<Result<CallbackView>> {
    return guarded("shard.transfer", () => this.handingOver(this.actions.transfer(confirmation, actor, to)));
  }

  async complete(confirmation: string, actor: Actor, body: CompleteBody): Promise<Result<CallbackView>> {
    return guarded("shard.complete", () => this.handingOver(this.actions.complete(confirmation, actor, body)));
  }

  /** Whether a progress report's raw bytes are signed by this provider's media server: checked before its body is read. */
  async signedByProvider(rawBody: string, signature: string | null): Promise<boolean> {
    return this.actions.signedByProvider(rawBody, signature);
  }

  async progress(confirmation: string, rawBody: string, signature: string | null, attempt: number, outcome: AttemptOutcome): Promise<Result<CallbackView>> {
    return guarded("shard.progress", () => this.handingOver(this.actions.progress(confirmation, rawBody, signature, attempt, outcome)));
  }

  /** An attempt's outcome from the provider's carrier, its status callback verified by the carrier adapter (never reachable from outside). */
  async carrierOutcome(confirmation: string, attempt: number, outcome: AttemptOutcome): Promise<Result<CallbackView>> {
    return guarded("shard.carrierOutcome", () => this.handingOver(this.actions.outcome(confirmation, attempt, outcome)));
  }

  /** Server-sent events: the history so far (after `lastEventId`), then each new event as it happens. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const confirmation = url.searchParams.get("confirmation") ?? "";
    const actor = JSON.parse(url.searchParams.get("actor") ?? "null") as Actor | null;
    const lastEventId = Number(url.searchParams.get("lastEventId") ?? "0");
    const stream = actor ? await this.store.stream(confirmation, actor, Number.isSafeInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0) : null;
    return stream ?? Response.json({ error: { code: "callback_not_found", message: "no such callback", details: null } }, { status: 404 });
  }

  /**
   * A member went down: every callback reserved there, not yet being called, is
   * planned again now (elsewhere if anyone fits), with an event that says why.
   */
  async siteDown(siteId: string): Promise<number> {
    const moved = this.planner.siteDown(siteId);
    await this.hooks.flush();
    await this.alarmSchedule.rearm();
    return moved;
  }

  async alarm(): Promise<void> {
    this.alarmSchedule.fired();
    // Desks hear of what the run did once its calls have gone out (desk-notices.ts).
    await this.desks.after(() => this.session.run());
    await this.releases.settle(this.clock.now());
    // Messages go after the run's calls: a confirmation never delays a call due at the same instant.
    await this.notices.flush();
    await this.hooks.flush();
    await this.alarmSchedule.rearm();
  }

  /** Holds this shard gave up and still owes a release (ops and tests). */
  async owedReleases(): Promise<HeldAt[]> {
    return this.releases.owed();
  }

  /** The provider's webhook subscriptions changed (the edge tells every shard): whether any remain. */
  async webhooksChanged(subscribed: boolean): Promise<void> {
    this.hooks.subscriptionsChanged(subscribed);
  }

  /** What an action wrote for the provider's webhooks is handed over before it answers (webhook-handoff.ts). */
  private async handingOver<T>(work: Promise<T>): Promise<T> {
    const result = await work;
    // What is left (a hand-over that failed, or more than a batch) goes from the alarm: armed only then, the action armed it already.
    if (!(await this.hooks.flush())) await this.alarmSchedule.rearm();
    return result;
  }

  // ---- graph reads (the cloud subgraph; the queries live in graph-reads.ts) ----------------

  /** One page of this provider's callbacks, newest first, with attempts and history. */
  async graphCallbacks(q: CallbackPageQuery): Promise<GraphCallback[]> {
    return callbackPage(this.sql, this.provider.get()?.registration.id ?? "", q);
  }

  /** One callback by confirmation with its attempts, history and agent (staff reads; no verifier). */
  async graphCallback(confirmation: string): Promise<GraphCallback | null> {
    return callbackByConfirmation(this.sql, this.provider.get()?.registration.id ?? "", confirmation);
  }

  /** The callbacks each agent (site and ref) holds in `statuses`, soonest first, at most `perAgent` each. */
  async graphAgentCallbacks(keys: AgentKey[], statuses: string[], perAgent: number): Promise<GraphCallback[]> {
    return callbacksOfAgents(this.sql, this.provider.get()?.registration.id ?? "", keys, statuses, perAgent);
  }

  /** The console's figures of this shard's callbacks, per site; `siteId` keeps those its agents hold (service-figures.ts). */
  async serviceFigures(siteId: string | null): Promise<ShardFigures> {
    return shardFigures(this.sql, this.provider.get()?.registration.id ?? "", this.clock.now(), siteId);
  }

  /** An agent's desk: the callbacks it holds here, or closed within the hour (desk-reads.ts). */
  async deskCallbacks(agent: Extract<Actor, { role: "agent" }>): Promise<DeskCallback[]> {
    return deskCallbacks(this.sql, this.store, this.provider.get()?.registration.id ?? "", agent, this.clock.now());
  }
}

const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
