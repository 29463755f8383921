/**
 * Reads the ledger the invariants judge from a running mesh, as ops would: callbacks from
 * the cloud's subgraph (the edge alone, so a dead site does not hide them), the simulated
 * media server's dial log, and each site's active reservations from its own subgraph.
 */
import {
  violations, type CallbackStatus, type InvariantOptions, type Ledger, type LedgerCallback, type LedgerDial, type LedgerReservation, type Violation,
} from "./invariants.ts";

export interface MeshAddress {
  edge: string;
  sites: Record<string, string>;
  adminToken: string;
}

const PAGE = 100;
const TIMEOUT_MS = 10_000;

async function post<T>(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  for (let tries = 0; ; tries++) {
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    // Ops reading often meet the edge's GraphQL budget: wait as told, as any client should.
    if (res.status === 429 && tries < 5) {
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, Math.min(60, Number(res.headers.get("retry-after") ?? "5")) * 1000));
      continue;
    }
    const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
    if (!res.ok || body.errors?.length || !body.data) throw new Error(`${url}: ${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
    return body.data;
  }
}

// Histories cost the most of a page (the edge's GraphQL budget counts them): read only for the soak's figures, once.
const callbacksQuery = (history: boolean) => `query($after: String) { callbacks(first: ${PAGE}, after: $after) {
  nodes { confirmation status window { end } channel agentRef { id siteId } reservationId attempts { n channel outcome } updatedAt
    ${history ? "history(first: 200) { at type detail }" : ""} }
  pageInfo { endCursor hasNextPage } } }`;

interface CallbackNode {
  confirmation: string;
  status: string;
  window: { end: string };
  channel: string;
  agentRef: { id: string; siteId: string } | null;
  reservationId: string | null;
  attempts: { n: number; channel: string; outcome: string | null }[];
  updatedAt: string;
  history?: { at: string; type: string; detail: Record<string, unknown> }[];
}

export async function readCallbacks(mesh: MeshAddress, withHistory = false): Promise<LedgerCallback[]> {
  const out: LedgerCallback[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { callbacks: { nodes: CallbackNode[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } } = await post(
      `${mesh.edge}/graphql/cloud`,
      mesh.adminToken,
      callbacksQuery(withHistory),
      { after },
    );
    for (const n of page.callbacks.nodes) {
      out.push({
        confirmation: n.confirmation,
        status: n.status.toLowerCase() as CallbackStatus,
        windowEndMs: Date.parse(n.window.end),
        channel: n.channel,
        agentRef: n.agentRef,
        reservationId: n.reservationId,
        attempts: n.attempts.map((a) => ({ ...a, outcome: a.outcome?.toLowerCase() ?? null })),
        updatedAtMs: Date.parse(n.updatedAt),
        history: (n.history ?? []).map((e) => ({ atMs: Date.parse(e.at), type: e.type, detail: e.detail })),
      });
    }
    if (!page.callbacks.pageInfo.hasNextPage || !page.callbacks.pageInfo.endCursor) return out;
    after = page.callbacks.pageInfo.endCursor;
  }
}

export async function readDials(mesh: MeshAddress): Promise<LedgerDial[]> {
  const out: LedgerDial[] = [];
  let after = 0;
  for (;;) {
    const res = await fetch(`${mesh.edge}/v1/media/dials?limit=1000&after=${after}`, {
      headers: { authorization: `Bearer ${mesh.adminToken}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`dials: ${res.status} ${await res.text()}`);
    const { dials } = (await res.json()) as { dials: (LedgerDial & { row: number })[] };
    out.push(...dials.map(({ idempotencyKey, confirmation, attempt, outcome, dialedAt }) => ({ idempotencyKey, confirmation, attempt, outcome, dialedAt })));
    if (dials.length < 1000) return out;
    after = dials.at(-1)!.row;
  }
}

const RESERVATIONS = `query($status: ReservationStatus, $after: String) { site { reservations(status: $status, first: ${PAGE}, after: $after) {
  id siteId agentId channel start end status } } }`;

interface ReservationNode {
  id: string;
  siteId: string;
  agentId: string;
  channel: string;
  start: string;
  end: string;
  status: string;
}

/** A site's held and claimed reservations; null when it does not answer (down, or restarting). */
export async function readReservations(url: string, token: string): Promise<LedgerReservation[] | null> {
  const out: LedgerReservation[] = [];
  try {
    for (const status of ["HELD", "CLAIMED"]) {
      let after: string | null = null;
      for (;;) {
        const page: { site: { reservations: ReservationNode[] | null } } = await post(`${url}/graphql`, token, RESERVATIONS, { status, after });
        const list = page.site.reservations ?? [];
        for (const r of list) {
          out.push({
            id: r.id,
            siteId: r.siteId,
            agentId: r.agentId,
            channel: r.channel.toLowerCase(),
            startMs: Date.parse(r.start),
            endMs: Date.parse(r.end),
            status: r.status.toLowerCase() as "held" | "claimed",
          });
        }
        if (list.length < PAGE) break;
        after = list.at(-1)!.id;
      }
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * The whole ledger. Reservations are read before and after the callbacks, and only those
 * in both reads count: a hold made or given back while the callbacks were read is not news.
 */
export async function readLedger(mesh: MeshAddress, accepted: readonly string[]): Promise<Ledger & { unreadSites: string[] }> {
  const sites = Object.entries(mesh.sites);
  const before = await Promise.all(sites.map(([, url]) => readReservations(url, mesh.adminToken)));
  const [callbacks, dials] = await Promise.all([readCallbacks(mesh), readDials(mesh)]);
  const after = await Promise.all(sites.map(([, url]) => readReservations(url, mesh.adminToken)));
  const reservations: LedgerReservation[] = [];
  const unreadSites: string[] = [];
  sites.forEach(([siteId], i) => {
    const [b, a] = [before[i], after[i]];
    if (!b || !a) return void unreadSites.push(siteId);
    const still = new Set(a.map((r) => `${r.id}:${r.status}`));
    reservations.push(...b.filter((r) => still.has(`${r.id}:${r.status}`)));
  });
  return { atMs: Date.now(), accepted, callbacks, dials, reservations, unreadSites };
}

/**
 * Reads the ledger until the invariants hold or the deadline passes (a release or a
 * re-plan under way is not a violation yet); answers the last read and what it broke.
 */
export async function judge(
  mesh: MeshAddress,
  accepted: readonly string[],
  options: { deadlineMs?: number; dials?: () => LedgerDial[]; invariants?: InvariantOptions } = {},
): Promise<{ ledger: Ledger & { unreadSites: string[] }; broken: Violation[] }> {
  const until = Date.now() + (options.deadlineMs ?? 30_000);
  for (;;) {
    const read = await readLedger(mesh, accepted);
    const ledger = options.dials ? { ...read, dials: options.dials() } : read;
    const broken = violations(ledger, options.invariants);
    if (broken.length === 0 || Date.now() > until) return { ledger, broken };
    await new Promise((r) => setTimeout(r, 2_000));
  }
}
