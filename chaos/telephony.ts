/**
 * A provider's own telephony as chaos sees it: a local HTTP server that takes the cloud's
 * signed dial and notice webhooks, dials each idempotency key once (as the contract asks
 * of a media server), and reports each call's outcome back, signed, retrying until the
 * edge takes it. A scenario hooks each dial to inject its fault at that very moment.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sign, SIGNATURE_HEADER, SIGNATURE_TOLERANCE_MS } from "../objects/callback-cloud/signing.ts";
import type { LedgerDial } from "./invariants.ts";

interface DialBody {
  idempotencyKey: string;
  confirmation: string;
  attempt: number;
  channel: string;
  notice?: string;
}

/** What the hook makes of one dial request: answer it, or drop the connection unanswered. */
export type DialHook = (dial: DialBody, seen: number) => "answer" | "drop" | Promise<"answer" | "drop">;

export interface Telephony {
  url: string;
  /** Every key asked for, in order, with how often: the ledger's dials. */
  dials(): LedgerDial[];
  /** How many requests arrived for each key. */
  requests(key: string): number;
  hook: DialHook;
  /** The outcome reported for each new call (default: answered). */
  outcomeOf: (dial: DialBody) => "answered" | "busy" | "no_answer" | "voicemail" | "failed";
  /** Progress reports still being retried. */
  pending(): number;
  close(): Promise<void>;
}

/** The edge's signature on a webhook (workerd's own timingSafeEqual is not Node's: the comparison is done here). */
async function signedByEdge(secret: string, raw: string, header: string | undefined): Promise<boolean> {
  const t = header ? /^t=(\d+),/.exec(header)?.[1] : undefined;
  if (!t || Math.abs(Date.now() - Number(t)) > SIGNATURE_TOLERANCE_MS) return false;
  const [expected, given] = [Buffer.from(await sign(secret, raw, Number(t))), Buffer.from(header!)];
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const read = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => resolve(body)).on("error", reject);
  });

export async function startTelephony(options: { port: number; secret: string; edge: () => string }): Promise<Telephony> {
  const log = new Map<string, LedgerDial & { requests: number }>();
  let inFlight = 0;
  let closed = false;

  // Retried like a real media server's webhook client: the edge may be down for a while.
  const report = async (dial: DialBody, outcome: string): Promise<void> => {
    inFlight += 1;
    const body = JSON.stringify({ attempt: dial.attempt, outcome, at: new Date().toISOString() });
    try {
      for (let tries = 0; !closed && tries < 600; tries++) {
        try {
          const res = await fetch(`${options.edge()}/v1/callbacks/${dial.confirmation}/progress`, {
            method: "POST",
            headers: { "content-type": "application/json", [SIGNATURE_HEADER]: await sign(options.secret, body, Date.now()) },
            body,
            signal: AbortSignal.timeout(5_000),
          });
          await res.body?.cancel();
          // 2xx: taken; 409: already applied (the first report got through before its answer was lost).
          if (res.ok || res.status === 409) return;
        } catch {
          // Down or restarting: again shortly.
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      inFlight -= 1;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await read(req);
    if (!(await signedByEdge(options.secret, raw, req.headers[SIGNATURE_HEADER] as string | undefined))) {
      res.writeHead(401).end();
      return;
    }
    const dial = JSON.parse(raw) as DialBody;
    if (dial.notice) {
      res.writeHead(200).end();
      return;
    }
    const known = log.get(dial.idempotencyKey);
    const seen = (known?.requests ?? 0) + 1;
    if ((await telephony.hook(dial, seen)) === "drop") {
      // As if the edge died waiting: no answer at all.
      req.socket.destroy();
      if (known) known.requests = seen;
      else log.set(dial.idempotencyKey, { idempotencyKey: dial.idempotencyKey, confirmation: dial.confirmation, attempt: dial.attempt, outcome: "", dialedAt: null, requests: seen });
      return;
    }
    res.writeHead(200).end();
    if (known?.dialedAt) {
      known.requests = seen;
      return;
    }
    const outcome = telephony.outcomeOf(dial);
    log.set(dial.idempotencyKey, { idempotencyKey: dial.idempotencyKey, confirmation: dial.confirmation, attempt: dial.attempt, outcome, dialedAt: new Date().toISOString(), requests: seen });
    void report(dial, outcome);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  const telephony: Telephony = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dial`,
    dials: () => [...log.values()].map(({ idempotencyKey, confirmation, attempt, outcome, dialedAt }) => ({ idempotencyKey, confirmation, attempt, outcome, dialedAt })),
    requests: (key) => log.get(key)?.requests ?? 0,
    hook: () => "answer",
    outcomeOf: () => "answered",
    pending: () => inFlight,
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return telephony;
}
