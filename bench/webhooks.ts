/**
 * Event webhooks on the local mesh: event-to-delivery latency, deliveries a second one provider sustains, and nothing lost when the receiver is down for a while.
 *
 * `npm run bench -- webhooks [--callbacks N] [--clients N] [--down-seconds N]`
 *
 * One provider on `npm start`'s local mesh (workerd per Worker, libp2p peers, simulated
 * agents), subscribed to every lifecycle event by a receiver on loopback that checks each
 * delivery with the Standard Webhooks library and notes when it arrived. Three phases:
 * - latency: callbacks asked for one at a time; each event's delivery against the event's own
 *   timestamp (the edge's clock, which on one machine is the receiver's), and, as the baseline
 *   in the same run, how long the request itself took to answer;
 * - throughput: `--callbacks` asked for by `--clients` at once; deliveries a second from the
 *   first to the last;
 * - outage: the receiver refuses everything for `--down-seconds`, while callbacks are asked
 *   for; then it answers again, and the bench waits until every event owed has arrived (or
 *   says how many never did).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { startMesh } from "../federation/node/launcher/mesh.ts";
import { numberOption, readOptions } from "./lib/options.ts";
import { fixed, round, saveRun, table } from "./lib/report.ts";
import { freePort } from "./lib/workers.ts";

const HELP = `npm run bench -- webhooks [--callbacks N] [--clients N] [--down-seconds N]
  --callbacks N     callbacks in the throughput phase (default 200)
  --clients N       clients asking at once in it (default 10)
  --down-seconds N  how long the receiver refuses in the outage phase (default 60)`;

interface Options {
  callbacks: number;
  clients: number;
  downSeconds: number;
}

function parse(args: readonly string[]): Options | "help" {
  const o: Options = { callbacks: 200, clients: 10, downSeconds: 60 };
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1] ?? ""];
    if (flag === "--help" || flag === "-h") return "help";
    if (flag === "--callbacks") o.callbacks = numberOption("callbacks", value, 1, 5000);
    else if (flag === "--clients") o.clients = numberOption("clients", value, 1, 100);
    else if (flag === "--down-seconds") o.downSeconds = numberOption("down-seconds", value, 0, 600);
    else throw new Error(`unknown option ${flag}`);
    i++;
  }
  return o;
}

const pct = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
};

export async function main(args: string[]): Promise<number> {
  const options = readOptions("webhooks", HELP, () => parse(args));
  if (typeof options === "number") return options;
  const started = performance.now();

  // The receiver: verifies, dedupes by webhook-id, notes arrival; refuses while `down`.
  const arrivals = new Map<string, { type: string; confirmation: string; eventMs: number; arrivedMs: number }>();
  let secret = "";
  let down = false;
  let refused = 0;
  let badSignatures = 0;
  const receiver = createServer((req, res) => {
    const arrivedMs = Date.now();
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      if (down) {
        refused++;
        res.writeHead(503).end();
        return;
      }
      try {
        const p = new Webhook(secret).verify(body, req.headers as Record<string, string>) as { type: string; timestamp: string; data: { confirmation: string } };
        const id = String(req.headers["webhook-id"]);
        if (!arrivals.has(id)) arrivals.set(id, { type: p.type, confirmation: p.data.confirmation, eventMs: Date.parse(p.timestamp), arrivedMs });
        res.writeHead(204).end();
      } catch {
        badSignatures++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));

  const stateDir = await mkdtemp(join(tmpdir(), "bench-webhooks-"));
  const mesh = await startMesh(
    { sites: 3, fresh: true, stateDir, host: "127.0.0.1", edgePort: await freePort(), sitePort: await freePort(), settings: {}, readyTimeoutMs: 60_000 },
    { log: () => {} },
  );
  try {
    const edge = mesh.urls.edge;
    const admin = { authorization: `Bearer ${mesh.adminToken}`, "content-type": "application/json" };
    const post = async (path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) => {
      const res = await fetch(`${edge}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const acme = JSON.parse(await readFile(join(import.meta.dirname, "..", "examples", "providers", "acme.json"), "utf8"));
    const allDay = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]));
    const provider = { ...acme, id: "acme-hooks", rules: { ...acme.rules, businessHours: allDay, holidays: [] }, limits: { callbacksPerOffer: 10, perAddressPerMinute: 6000, perPhonePerHour: 100, perMinute: 100_000 } };
    const registered = await post("/v1/providers", provider, admin);
    if (registered.status !== 201) throw new Error(`could not register the provider: ${JSON.stringify(registered.body)}`);
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const sub = await post("/v1/providers/acme-hooks/subscriptions", { url, events: ["callback.requested", "callback.scheduled", "callback.cancelled"] }, admin);
    if (sub.status !== 201) throw new Error(`could not subscribe: ${JSON.stringify(sub.body)}`);
    secret = sub.body.secret;

    // Three repair agents a site, twenty callbacks each at once, kept alive by their desks' heartbeats.
    const sites = Object.entries(mesh.urls.sites);
    for (const [siteId, site] of sites) {
      for (let i = 1; i <= 3; i++) {
        const agent = { name: `${siteId} repair ${i}`, skills: { appliance_repair: 3 + (i % 3) }, channels: ["voice"], languages: ["en"], capacity: 20 };
        await fetch(`${site}/v1/agents/r${i}`, { method: "PUT", headers: admin, body: JSON.stringify(agent) });
        await fetch(`${site}/v1/agents/r${i}/status`, { method: "POST", headers: admin, body: JSON.stringify({ state: "available" }) });
      }
    }
    const heartbeats = setInterval(() => {
      for (const [, site] of sites) for (let i = 1; i <= 3; i++) void fetch(`${site}/v1/agents/r${i}/heartbeat`, { method: "POST", headers: admin }).catch(() => {});
    }, 10_000);
    const heard = Date.now() + 60_000;
    while (Date.now() < heard) {
      const m = (await (await fetch(`${edge}/v1/mesh`, { headers: admin })).json()) as { members: { agents: { available: number } }[] };
      if (m.members.length === sites.length && m.members.every((x) => x.agents.available >= 3)) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    /** Asks for one callback a few hours ahead (so none is dialled mid-run); answers its confirmation and how long the request took. */
    let n = 0;
    const ask = async (): Promise<{ confirmation: string; ms: number }> => {
      const user = `u${++n}`;
      const offer = await post("/v1/interactions", { providerId: "acme-hooks", user: { id: user } });
      const start = new Date(Date.now() + 3 * 3600_000);
      const t0 = performance.now();
      const made = await post(
        "/v1/callbacks",
        { indicia: offer.body.token, when: { start: start.toISOString(), end: new Date(start.getTime() + 3600_000).toISOString() }, media: ["voice"], contact: { phone: `+1512555${String(n % 10_000).padStart(4, "0")}` }, reason: "my washer is broken" },
        { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      );
      if (made.status !== 201) throw new Error(`request: ${made.status} ${JSON.stringify(made.body)}`);
      return { confirmation: made.body.confirmation, ms: performance.now() - t0 };
    };
    const arrivedFor = (confirmations: ReadonlySet<string>) => [...arrivals.values()].filter((a) => confirmations.has(a.confirmation));
    const waitFor = async (confirmations: ReadonlySet<string>, perCallback: number, limitMs: number) => {
      const until = Date.now() + limitMs;
      while (arrivedFor(confirmations).length < confirmations.size * perCallback && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      return arrivedFor(confirmations);
    };

    // Latency: one at a time; `requested` and `scheduled` each.
    console.log("latency: 40 callbacks, one at a time");
    const one: { confirmation: string; ms: number }[] = [];
    for (let i = 0; i < 40; i++) one.push(await ask());
    const latencies = (await waitFor(new Set(one.map((o) => o.confirmation)), 2, 60_000)).map((a) => a.arrivedMs - a.eventMs);
    const requestMs = one.map((o) => o.ms);

    // Throughput: many at once.
    console.log(`throughput: ${options.callbacks} callbacks from ${options.clients} clients`);
    const burst: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: options.clients }, async () => {
        while (next++ < options.callbacks) burst.push((await ask()).confirmation);
      }),
    );
    const burstArrivals = await waitFor(new Set(burst), 2, 120_000);
    const firstMs = Math.min(...burstArrivals.map((a) => a.arrivedMs));
    const lastMs = Math.max(...burstArrivals.map((a) => a.arrivedMs));
    const perSecond = burstArrivals.length / Math.max(0.001, (lastMs - firstMs) / 1000);

    // Outage: the receiver refuses while callbacks are asked for, then answers again.
    console.log(`outage: the receiver refuses for ${options.downSeconds} s`);
    down = true;
    const during: string[] = [];
    const outageEnds = Date.now() + options.downSeconds * 1000;
    while (Date.now() < outageEnds) {
      during.push((await ask()).confirmation);
      await new Promise((r) => setTimeout(r, Math.min(2_000, Math.max(0, outageEnds - Date.now()))));
    }
    down = false;
    const backAt = Date.now();
    const owed = during.length * 2;
    const recovered = await waitFor(new Set(during), 2, 10 * 60_000);
    const lost = owed - recovered.length;
    const recoveredInS = recovered.length > 0 ? (Math.max(...recovered.map((a) => a.arrivedMs)) - backAt) / 1000 : Number.NaN;

    const result = {
      latency: { deliveries: latencies.length, p50Ms: round(pct(latencies, 50)), p99Ms: round(pct(latencies, 99)), maxMs: round(Math.max(...latencies)) },
      baseline: { requestP50Ms: round(pct(requestMs, 50)), requestP99Ms: round(pct(requestMs, 99)) },
      ratio: { p50: round(pct(latencies, 50) / pct(requestMs, 50)), p99: round(pct(latencies, 99) / pct(requestMs, 99)) },
      throughput: { callbacks: burst.length, deliveries: burstArrivals.length, perSecond: round(perSecond, 1) },
      outage: { downSeconds: options.downSeconds, callbacks: during.length, owed, delivered: recovered.length, lost, refused, allBackWithinSeconds: round(recoveredInS, 1) },
      badSignatures,
      runSeconds: 0,
    };
    console.log(
      "\n" +
        table(
          ["measure", "value", "baseline (the request itself)", "ratio"],
          [
            ["event → delivery p50", `${fixed(result.latency.p50Ms)} ms`, `${fixed(result.baseline.requestP50Ms)} ms`, `${fixed(result.ratio.p50, 2)}×`],
            ["event → delivery p99", `${fixed(result.latency.p99Ms)} ms`, `${fixed(result.baseline.requestP99Ms)} ms`, `${fixed(result.ratio.p99, 2)}×`],
            ["deliveries a second (one provider)", fixed(result.throughput.perSecond), "", ""],
            [`receiver down ${options.downSeconds} s: owed / delivered / lost`, `${owed} / ${recovered.length} / ${lost}`, "", ""],
            ["all delivered after it came back", `${fixed(recoveredInS)} s`, "", ""],
            ["bad signatures", String(badSignatures), "", ""],
          ],
        ),
    );
    clearInterval(heartbeats);
    await saveRun("webhooks", result, started);
    return lost === 0 && badSignatures === 0 ? 0 : 1;
  } finally {
    await mesh.stop();
    await new Promise((resolve) => receiver.close(resolve));
    await rm(stateDir, { recursive: true, force: true });
  }
}
