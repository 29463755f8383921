/**
 * A node's view of the mesh: the latest digest of every member, as its peer
 * received them, and the membership list they were checked against. At the edge it
 * also owns the list: members are added and removed here, and the list is signed
 * with the edge's key. Its alarm notices members going quiet.
 */
import { DurableObject } from "cloudflare:workers";
import type { JWK } from "jose";
import { digestSchema, type Digest } from "../../federation/wire/digest.ts";
import { clockSkewOf, healthOf, nextHealthChangeAt, PROBE_EVERY_MS, probedHealth, withClockSkew, type HeardFrom } from "../../federation/wire/health.ts";
import type { SiteTransportEnv } from "../../federation/runtime/site-client.ts";
import { signMembership, verifyMembership, type Member, type Membership } from "../../federation/wire/membership.ts";
import type { MeshMember } from "../../federation/runtime/mesh-view.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { fail, ok, type Result } from "../shared/problem.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import { DirectProbes } from "./probes.ts";
import { agentCounts, type DigestReceipt, type MemberView, type MeshStatus, type OwnPeerReport } from "./views.ts";

export type { MemberView, OwnPeerReport } from "./views.ts";

/** What the edge's provider objects answer when a member goes down (the mesh view knows no more of them). */
export interface ReplansOnSiteDown extends Rpc.DurableObjectBranded {
  siteDown(siteId: string): Promise<number>;
}

/** Routes to members (service bindings, SITE_URLS) where this node has them: silent members are probed by them (probes.ts). */
export interface MeshViewEnv extends SiteTransportEnv {
  /** At the edge: where providers and their callback clouds are, to move work off a member that went down. */
  DIRECTORY?: DurableObjectNamespace<import("../directory/directory.ts").Directory>;
  PROVIDERS?: DurableObjectNamespace<ReplansOnSiteDown>;
  /** The site this node is (absent at the edge). */
  SITE_ID?: string;
  /** The edge's Ed25519 key as a private JWK (JSON), only at the edge: it signs the membership list. */
  EDGE_MEMBERSHIP_KEY?: string;
  /** Its public half (JSON JWK), everywhere: a list not signed by it is refused. */
  EDGE_MEMBERSHIP_PUBLIC_KEY?: string;
}

const MIGRATIONS = [
  {
    version: 1,
    name: "membership and digests",
    up: [
      `CREATE TABLE membership (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        list TEXT NOT NULL,
        jws TEXT
      )`,
      `CREATE TABLE digests (
        site_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        issued_at_ms INTEGER NOT NULL,
        ttl_ms INTEGER NOT NULL,
        received_at_ms INTEGER NOT NULL,
        body TEXT NOT NULL
      )`,
      `CREATE TABLE receipts (
        outcome TEXT PRIMARY KEY,
        count INTEGER NOT NULL
      )`,
      // Members known to be down, so that going down is acted on once.
      `CREATE TABLE down (site_id TEXT PRIMARY KEY, since_ms INTEGER NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: "the node's own peer",
    // What this node's peer last reported about itself: its id, connections and what it refused.
    up: ["CREATE TABLE own_peer (id INTEGER PRIMARY KEY CHECK (id = 1), report TEXT NOT NULL, at_ms INTEGER NOT NULL)"],
  },
  {
    version: 3,
    name: "when this node has been watching since",
    // The alarm as set (an alarm found long overdue means this node was not running), and since when it has been
    // listening without a gap: members' silence counts from then, not from before a restart.
    up: ["CREATE TABLE watch (id INTEGER PRIMARY KEY CHECK (id = 1), alarm_at_ms INTEGER, since_ms INTEGER NOT NULL)"],
  },
] as const;

/**
 * An alarm found this late means the node was not running (a restart, a long stop): the
 * members it did not hear from meanwhile are given their time to speak again. Longer than
 * a member's whole way to `down` at the default time to live (15 s × 4), so that an alarm
 * only delayed is never mistaken for a restart.
 */
export const AWAY_AFTER_MS = 60_000;

export class MeshView extends DurableObject<MeshViewEnv> {
  clock: Clock = systemClock;
  private readonly sql: Sql;
  private readonly probes: DirectProbes;

  constructor(ctx: DurableObjectState, env: MeshViewEnv) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    this.probes = new DirectProbes(env);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS, this.clock.now());
    });
  }

  // ---- membership ---------------------------------------------------------------------------

  /** The current list and its signature (null before the first member). */
  async membership(): Promise<{ membership: Membership; jws: string | null }> {
    const row = this.sql<{ list: string; jws: string | null }>`SELECT list, jws FROM membership WHERE id = 1`.toArray()[0];
    return row
      ? { membership: JSON.parse(row.list), jws: row.jws }
      : { membership: { version: 1, seq: 0, issuedAtMs: 0, members: [] }, jws: null };
  }

  /** One member as the current list has it, for checking its tokens; null when it is not one. */
  async member(siteId: string): Promise<Member | null> {
    return (await this.membership()).membership.members.find((m) => m.siteId === siteId) ?? null;
  }

  /** Edge only: adds or replaces a member and signs the new list. */
  async putMember(member: Member): Promise<Result<{ membership: Membership; created: boolean }>> {
    const { membership } = await this.membership();
    const taken = membership.members.find((m) => m.peerId === member.peerId && m.siteId !== member.siteId);
    if (taken) return fail(409, "peer_id_in_use", `peer ${member.peerId} is already site ${taken.siteId}`);
    const created = !membership.members.some((m) => m.siteId === member.siteId);
    const members = [...membership.members.filter((m) => m.siteId !== member.siteId), member].sort((a, b) => a.siteId.localeCompare(b.siteId));
    return this.signAndStore(members, created);
  }

  /** Edge only: removes a member; its digests stop counting at once, everywhere the new list reaches. */
  async removeMember(siteId: string): Promise<Result<{ membership: Membership; created: boolean }>> {
    const { membership } = await this.membership();
    if (!membership.members.some((m) => m.siteId === siteId)) return fail(404, "member_not_found", `no member ${siteId}`);
    this.sql`DELETE FROM digests WHERE site_id = ${siteId}`;
    return this.signAndStore(
      membership.members.filter((m) => m.siteId !== siteId),
      false,
    );
  }

  /** Anywhere but the edge: a list signed by the edge, kept when newer than ours. */
  async acceptMembership(jws: string): Promise<Result<Membership>> {
    const publicKey = parseJwk(this.env.EDGE_MEMBERSHIP_PUBLIC_KEY);
    if (!publicKey) return fail(503, "not_configured", "this node has no edge key to check a membership list against");
    const list = await verifyMembership(jws, publicKey);
    if (!list) return fail(401, "bad_membership_signature", "the membership list is not signed by the edge");
    const current = await this.membership();
    if (list.seq < current.membership.seq) return ok(current.membership);
    this.sql`INSERT INTO membership (id, seq, list, jws) VALUES (1, ${list.seq}, ${JSON.stringify(list)}, ${jws})
      ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, list = excluded.list, jws = excluded.jws`;
    const members = new Set(list.members.map((m) => m.siteId));
    for (const { site_id } of this.sql<{ site_id: string }>`SELECT site_id FROM digests`.toArray()) {
      if (!members.has(site_id)) this.sql`DELETE FROM digests WHERE site_id = ${site_id}`;
    }
    return ok(list);
  }

  private async signAndStore(members: Member[], created: boolean): Promise<Result<{ membership: Membership; created: boolean }>> {
    const privateKey = parseJwk(this.env.EDGE_MEMBERSHIP_KEY);
    if (!privateKey) return fail(503, "not_configured", "the edge has no membership key (EDGE_MEMBERSHIP_KEY)");
    const { membership: current } = await this.membership();
    const next: Membership = { version: 1, seq: current.seq + 1, issuedAtMs: this.clock.now(), members };
    const jws = await signMembership(next, privateKey);
    this.sql`INSERT INTO membership (id, seq, list, jws) VALUES (1, ${next.seq}, ${JSON.stringify(next)}, ${jws})
      ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, list = excluded.list, jws = excluded.jws`;
    await this.rearm();
    return ok({ membership: next, created });
  }

  // ---- digests ------------------------------------------------------------------------------

  /**
   * Digests the node's peer received. Each is checked again here (shape, member,
   * newer sequence); the peer already dropped what it could, but the Worker trusts
   * only its own checks.
   */
  async receive(digests: unknown[]): Promise<DigestReceipt> {
    const now = this.clock.now();
    // Before the alarm moves: whether this node was away is read from the alarm as it was left.
    this.watchingSince(now);
    const { membership } = await this.membership();
    const members = new Set(membership.members.map((m) => m.siteId));
    // A member capped at public exposure lists none of its agents here, whatever its digest carries: its summary only.
    const summaryOnly = new Set(membership.members.filter((m) => m.exposure === "public").map((m) => m.siteId));
    const rejected: Record<string, number> = {};
    let accepted = 0;
    for (const raw of digests) {
      const parsed = digestSchema.safeParse(raw);
      const reason = !parsed.success
        ? "malformed"
        : !members.has(parsed.data.siteId)
          ? "not_a_member"
          : this.seqOf(parsed.data.siteId) >= parsed.data.seq
            ? "not_newer"
            : null;
      if (reason || !parsed.success) {
        rejected[reason ?? "malformed"] = (rejected[reason ?? "malformed"] ?? 0) + 1;
        continue;
      }
      const d: Digest = summaryOnly.has(parsed.data.siteId) ? { ...parsed.data, agents: [] } : parsed.data;
      this.sql`INSERT INTO digests (site_id, seq, issued_at_ms, ttl_ms, received_at_ms, body)
        VALUES (${d.siteId}, ${d.seq}, ${d.issuedAtMs}, ${d.ttlMs}, ${now}, ${JSON.stringify(d)})
        ON CONFLICT (site_id) DO UPDATE SET seq = excluded.seq, issued_at_ms = excluded.issued_at_ms, ttl_ms = excluded.ttl_ms,
        received_at_ms = excluded.received_at_ms, body = excluded.body`;
      this.sql`DELETE FROM down WHERE site_id = ${d.siteId}`;
      accepted++;
    }
    this.count("accepted", accepted);
    for (const [why, n] of Object.entries(rejected)) this.count(why, n);
    await this.rearm();
    return { accepted, rejected };
  }

  /** The node's own peer reports its counters, so what it refused is visible at /v1/mesh. */
  async reportOwnPeer(report: OwnPeerReport): Promise<void> {
    this.sql`INSERT INTO own_peer (id, report, at_ms) VALUES (1, ${JSON.stringify(report)}, ${this.clock.now()})
      ON CONFLICT (id) DO UPDATE SET report = excluded.report, at_ms = excluded.at_ms`;
  }

  /** The members with their health, for GET /v1/mesh. */
  async members(): Promise<MeshStatus> {
    const now = this.clock.now();
    const since = this.watchingSince(now);
    const { membership } = await this.membership();
    const heard = this.heard();
    const self = this.env.SITE_ID ?? "edge";
    const others = membership.members.filter((m) => m.siteId !== self);
    // Whoever reads the mesh (the console, every second) learns at once of a member gone silent whose Worker is gone.
    await this.probes.probeSilent(others.map((m) => m.siteId), heard, now);
    const members = others.map((m): MemberView => {
      const h = heard.get(m.siteId) ?? null;
      const digest = h ? (JSON.parse(h.body) as Digest) : null;
      return {
        siteId: m.siteId,
        peerId: m.peerId,
        addrs: m.addrs,
        trust: m.trust,
        exposure: m.exposure,
        subgraphUrl: m.subgraphUrl ?? null,
        health: this.isDown(m.siteId) ? "down" : withClockSkew(probedHealth(healthOf(h, now, since), h, this.probes.of(m.siteId), now), h),
        seq: h?.seq ?? null,
        // On this node's clock: the member's own may be off (clockSkewMs).
        digestAgeMs: h ? now - h.receivedAtMs : null,
        clockSkewMs: h ? clockSkewOf(h) : null,
        agents: agentCounts(digest),
      };
    });
    const receipts = Object.fromEntries(
      this.sql<{ outcome: string; count: number }>`SELECT outcome, count FROM receipts LIMIT 100`.toArray().map((r) => [r.outcome, r.count]),
    );
    const own = this.sql<{ report: string; at_ms: number }>`SELECT report, at_ms FROM own_peer WHERE id = 1`.toArray()[0];
    const peer = own ? { ...(JSON.parse(own.report) as OwnPeerReport), reportedAt: new Date(own.at_ms).toISOString() } : null;
    return { self, members, receipts, peer };
  }

  /** The latest digests of the given members, with health: what the callback cloud plans from. */
  async meshMembers(siteIds: readonly string[]): Promise<MeshMember[]> {
    const now = this.clock.now();
    const since = this.watchingSince(now);
    const heard = this.heard();
    return siteIds.map((siteId) => {
      const h = heard.get(siteId) ?? null;
      const gossip = this.isDown(siteId) ? "down" : healthOf(h, now, since);
      const health = withClockSkew(gossip, h);
      return {
        siteId,
        health: h ? health : "down",
        digest: h && health === "up" ? (JSON.parse(h.body) as Digest) : null,
        digestAgeMs: h ? now - h.receivedAtMs : null,
        heard: h !== null,
        ...(health !== "up" ? { problem: !h ? "never heard from" : gossip === "up" ? skewProblem(clockSkewOf(h)) : `no digest for ${now - h.receivedAtMs} ms` } : {}),
      };
    });
  }

  /** Members heard from and held down now (silent past their time, or acted on as down), from times alone: callers skip them. */
  async downSites(): Promise<string[]> {
    const now = this.clock.now();
    const since = this.watchingSince(now);
    const { membership } = await this.membership();
    const times = new Map(
      this.sql<{ site_id: string; issued_at_ms: number; ttl_ms: number; received_at_ms: number }>`
        SELECT site_id, issued_at_ms, ttl_ms, received_at_ms FROM digests LIMIT 1000`
        .toArray()
        .map((t) => [t.site_id, { issuedAtMs: t.issued_at_ms, ttlMs: t.ttl_ms, receivedAtMs: t.received_at_ms }]),
    );
    const self = this.env.SITE_ID ?? "edge";
    return membership.members
      .map((m) => m.siteId)
      .filter((siteId) => {
        const h = times.get(siteId) ?? null;
        return siteId !== self && h !== null && (this.isDown(siteId) || probedHealth(healthOf(h, now, since), h, this.probes.of(siteId), now) === "down");
      });
  }

  /** Notices members going stale and down; acts once when one goes down. */
  async alarm(): Promise<void> {
    const now = this.clock.now();
    const since = this.watchingSince(now);
    let answering = false;
    for (const [siteId, h] of this.heard()) {
      if (healthOf(h, now, since) !== "down") continue;
      if (this.isDown(siteId)) continue;
      // Silent on gossip, but its Worker answers: its work stays where it is; asked again shortly.
      if (await this.probes.answers(siteId, now)) {
        answering = true;
        continue;
      }
      this.sql`INSERT INTO down (site_id, since_ms) VALUES (${siteId}, ${now})`;
      await this.memberDown(siteId);
    }
    await this.rearm(answering ? now + PROBE_EVERY_MS * 2 : null);
  }

  /** At the edge: every provider's callbacks reserved at that member are planned again, now. */
  private async memberDown(siteId: string): Promise<void> {
    const { DIRECTORY, PROVIDERS } = this.env;
    if (!DIRECTORY || !PROVIDERS) return;
    let after = -1;
    for (;;) {
      const page = await DIRECTORY.getByName("providers").providers(100, after);
      if (page.length === 0) return;
      await Promise.all(page.map((p) => PROVIDERS.getByName(p.id).siteDown(siteId)));
      after = page[page.length - 1].ordinal;
    }
  }

  // ---- internals ----------------------------------------------------------------------------

  private heard(): Map<string, HeardFrom & { seq: number; body: string }> {
    const rows = this.sql<{ site_id: string; seq: number; issued_at_ms: number; ttl_ms: number; received_at_ms: number; body: string }>`
      SELECT * FROM digests LIMIT 1000`.toArray();
    return new Map(
      rows.map((r) => [
        r.site_id,
        { seq: r.seq, issuedAtMs: r.issued_at_ms, ttlMs: r.ttl_ms, receivedAtMs: r.received_at_ms, body: r.body },
      ]),
    );
  }

  /** A member this node acted on as down stays down until it is heard from again. */
  private isDown(siteId: string): boolean {
    return this.sql`SELECT 1 FROM down WHERE site_id = ${siteId}`.toArray().length > 0;
  }

  /**
   * Since when this node has been listening without a gap. An alarm found more than
   * AWAY_AFTER_MS overdue says the node was not running: it has been watching since now.
   */
  private watchingSince(now: number): number {
    const row = this.sql<{ alarm_at_ms: number | null; since_ms: number }>`SELECT alarm_at_ms, since_ms FROM watch WHERE id = 1`.toArray()[0];
    if (row && (row.alarm_at_ms === null || now - row.alarm_at_ms <= AWAY_AFTER_MS)) return row.since_ms;
    // First start, or back after a gap: silence before now is not the members'.
    this.sql`INSERT INTO watch (id, alarm_at_ms, since_ms) VALUES (1, NULL, ${now})
      ON CONFLICT (id) DO UPDATE SET alarm_at_ms = NULL, since_ms = excluded.since_ms`;
    return now;
  }

  private seqOf(siteId: string): number {
    return this.sql<{ seq: number }>`SELECT seq FROM digests WHERE site_id = ${siteId}`.toArray()[0]?.seq ?? -1;
  }

  private count(outcome: string, n: number): void {
    if (n === 0) return;
    this.sql`INSERT INTO receipts (outcome, count) VALUES (${outcome}, ${n})
      ON CONFLICT (outcome) DO UPDATE SET count = count + excluded.count`;
  }

  /** The alarm goes off at the next health change of any member. */
  /** `alsoAt`: a time to look again whatever the digests say (a silent member that still answers). */
  private async rearm(alsoAt: number | null = null): Promise<void> {
    const now = this.clock.now();
    const since = this.watchingSince(now);
    // Only times are needed here: the digests' bodies are not read on every receipt.
    const times = this.sql<{ issued_at_ms: number; ttl_ms: number; received_at_ms: number }>`
      SELECT issued_at_ms, ttl_ms, received_at_ms FROM digests LIMIT 1000`.toArray();
    const next = times
      .map((t) => nextHealthChangeAt({ issuedAtMs: t.issued_at_ms, ttlMs: t.ttl_ms, receivedAtMs: t.received_at_ms }, now, since))
      .concat(alsoAt === null ? [] : [alsoAt])
      .filter((t): t is number => t !== null)
      .sort((a, b) => a - b)[0];
    this.sql`UPDATE watch SET alarm_at_ms = ${next ?? null} WHERE id = 1`;
    if (next === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }
}

/** A key as a setting holds it (JSON): a JWK, or for the edge's public keys while it rotates, a set. */
const skewProblem = (skewMs: number): string => `its clock is ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs > 0 ? "ahead of" : "behind"} this node's`;

function parseJwk(raw: string | undefined): JWK | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as JWK;
  } catch {
    return null;
  }
}
