/**
 * The soak: the local mesh (a workerd per Worker, libp2p peers) run for N minutes with the
 * simulated agents working, a steady stream of callbacks from three providers, and one
 * random fault every few minutes; then judged. Reports callbacks accepted, fired on time,
 * moved or ended with a reason, lost, dialed twice, the edge's 5xx answers, and each
 * process's memory after warm-up and at the end.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startMesh, type Mesh } from "../federation/node/launcher/mesh.ts";
import { SKILL_SETS, startSimulation } from "../federation/node/launcher/simulation.ts";
import { prng } from "../bench/lib/prng.ts";
import { FAULTS } from "./faults.ts";
import { soakFigures, type SoakFigures } from "./figures.ts";
import type { Violation } from "./invariants.ts";
import { judge, readCallbacks } from "./ledger.ts";
import { rssOf, runtimeHolding } from "./processes.ts";
import { bearer, customerPhone, exampleProvider, heardAvailable, heartbeats, requestCallback, seedAgents, type When } from "./traffic.ts";

export interface SoakOptions {
  minutes: number;
  /** Callbacks asked for a minute, across the three providers. */
  ratePerMinute: number;
  /** One fault every this many minutes (the first after one interval); 0: none. */
  faultEveryMinutes: number;
  edgePort: number;
  sitePort: number;
  /** For the random choices (providers, reasons, windows, faults): the same seed, the same run. */
  seed: number;
  log(line: string): void;
}

export interface SoakReport {
  options: Omit<SoakOptions, "log">;
  figures: SoakFigures;
  answers: { created: number; refused4xx: number; server5xx: number; unanswered: number };
  faults: { atSeconds: number; name: string; siteId: string }[];
  /** Each process's resident memory after warm-up (warmUpMs) and at the end; `same` is false for one restarted meanwhile. */
  memory: { process: string; warmBytes: number | null; endBytes: number | null; same: boolean }[];
  broken: Violation[];
}


const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Until memory is first read. workerd under wrangler's dev server grows with the requests
 * it has served until it levels off, whatever the Worker: a Worker that only answers "ok"
 * went 73 → 562 MB over its first 21,000 requests and 593 MB after 43,000. A site serves its
 * peer ~15 requests a second, so that takes it about half an hour: runs of 10 minutes or
 * more are judged over their second half, shorter ones after two minutes at most.
 */
export const warmUpMs = (minutes: number): number => (minutes >= 10 ? minutes * 30_000 : Math.min(120_000, minutes * 12_000));

/** The Workers' runtimes (by the state each holds) and this process (the launcher and its peers). */
function memoryOf(mesh: Mesh): Map<string, { pid: number; bytes: number | null }> {
  const out = new Map<string, { pid: number; bytes: number | null }>();
  for (const id of ["edge", ...Object.keys(mesh.urls.sites)]) {
    const pid = runtimeHolding(path.join(mesh.stateDir, id));
    if (pid !== null) out.set(`workerd ${id}`, { pid, bytes: rssOf(pid) });
  }
  out.set("launcher + peers (node)", { pid: process.pid, bytes: process.memoryUsage().rss });
  return out;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { log } = options;
  const rand = prng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const stateDir = await mkdtemp(path.join(tmpdir(), "mesh-soak-"));
  const mesh = await startMesh(
    { sites: 3, fresh: true, stateDir, host: "127.0.0.1", edgePort: options.edgePort, sitePort: options.sitePort, settings: {}, readyTimeoutMs: 60_000 },
    { log: (id, level, message) => (level === "error" ? log(`[${id}] ${message.split("\n")[0]}`) : undefined) },
  );
  const token = mesh.adminToken;
  let simulation: { stop(): void } | undefined;
  let beating: { stop(): void } | undefined;
  try {
    // Three providers; 5-minute slots, so each agent can be booked often enough for a steady stream.
    const rules = { slotMinutes: 5, retryBackoffMinutes: [1, 2] };
    const providers = [
      await exampleProvider("acme", { rules }),
      await exampleProvider("northstar", { rules }),
      await exampleProvider("acme", { id: "globex", name: "Globex Appliances", rules }),
    ];
    for (const p of providers) {
      const res = await fetch(`${mesh.urls.edge}/v1/providers`, { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: JSON.stringify(p) });
      if (res.status !== 201) throw new Error(`registering ${p.id}: ${res.status} ${await res.text()}`);
    }
    const reasons = providers.map((p) => ({ id: p.id as string, examples: (p.intents as { examples?: string[] }[]).flatMap((i) => i.examples ?? []) }));

    // The simulated agents (they come and go) and a steadier crew per site that stays logged in.
    simulation = await startSimulation(mesh.urls.sites, token);
    const desks: { site: string; id: string }[] = [];
    for (const [siteId, url] of Object.entries(mesh.urls.sites)) {
      desks.push(...(await seedAgents(url, token, SKILL_SETS.flatMap((skills, i) => [0, 1].map((j) => ({ id: `${siteId}-crew-${i}-${j}`, skills }))))));
    }
    beating = heartbeats(token, () => desks);
    const heard = async () => Object.values(await heardAvailable(mesh.urls.edge, token)).reduce((n, a) => n + a, 0);
    for (let waited = 0; (await heard()) < desks.length && waited < 60; waited++) await pause(1_000);

    const answers = { created: 0, refused4xx: 0, server5xx: 0, unanswered: 0 };
    const accepted: string[] = [];
    const faults: SoakReport["faults"] = [];
    const started = Date.now();
    const endAt = started + options.minutes * 60_000;
    const warmAt = started + warmUpMs(options.minutes);
    let asked = 0;
    const inFlight = new Set<Promise<void>>();

    const ask = async () => {
      const n = asked++;
      const provider = pick(reasons);
      const when: When = rand() < 0.7 ? { asap: true } : { fromNowMinutes: 2 + Math.floor(rand() * 20), minutes: 20 };
      const answer = await requestCallback(mesh.urls.edge, provider.id, { user: `soak-${n}`, when, reason: pick(provider.examples), phone: customerPhone(n) });
      if (answer.confirmation) {
        answers.created += 1;
        accepted.push(answer.confirmation);
      } else if (answer.status === 0) answers.unanswered += 1;
      else if (answer.status >= 500) answers.server5xx += 1;
      else answers.refused4xx += 1;
    };
    const every = 60_000 / options.ratePerMinute;
    const traffic = setInterval(() => {
      const p = ask().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }, every);

    let faulting: Promise<void> = Promise.resolve();
    const faultTimer =
      options.faultEveryMinutes > 0
        ? setInterval(() => {
            const fault = pick(FAULTS);
            const siteId = pick(Object.keys(mesh.urls.sites));
            faults.push({ atSeconds: Math.round((Date.now() - started) / 1000), name: fault.name, siteId });
            log(`fault at ${faults.at(-1)!.atSeconds} s: ${fault.name} (${fault.name.startsWith("edge") ? "edge" : siteId})`);
            // One at a time: a fault still mending holds the next one back.
            faulting = faulting.then(() => fault.run(mesh, siteId)).catch((error: unknown) => log(`fault ${fault.name} failed: ${String(error)}`));
          }, options.faultEveryMinutes * 60_000)
        : undefined;

    await pause(Math.max(0, warmAt - Date.now()));
    const warm = memoryOf(mesh);
    log(`warm after ${Math.round((Date.now() - started) / 1000)} s: ${accepted.length} accepted`);
    while (Date.now() < endAt) {
      await pause(Math.min(60_000, endAt - Date.now()));
      const rss = [...memoryOf(mesh)].map(([name, m]) => `${name.replace(" (node)", "")} ${m.bytes === null ? "?" : Math.round(m.bytes / 2 ** 20)}`).join(", ");
      const heap = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
      log(`${Math.round((Date.now() - started) / 60_000)} min: ${accepted.length} accepted, ${answers.server5xx} 5xx, ${answers.unanswered} unanswered, ${faults.length} faults; MB: ${rss} (heap ${heap})`);
    }
    clearInterval(traffic);
    if (faultTimer) clearInterval(faultTimer);
    await Promise.all(inFlight);
    await faulting;
    const end = memoryOf(mesh);

    // What was asked near the end gets its time to be called (asap) before the verdict.
    log("draining: waiting for the last callbacks to be called");
    const address = { edge: mesh.urls.edge, sites: mesh.urls.sites, adminToken: token };
    const { ledger, broken } = await judge(address, accepted, { deadlineMs: 180_000 });
    ledger.callbacks = await readCallbacks(address, true);
    const memory = [...end.keys()].map((process) => {
      const [w, e] = [warm.get(process), end.get(process)];
      return { process, warmBytes: w?.bytes ?? null, endBytes: e?.bytes ?? null, same: w?.pid === e?.pid };
    });
    const { minutes, ratePerMinute, faultEveryMinutes, edgePort, sitePort, seed } = options;
    return { options: { minutes, ratePerMinute, faultEveryMinutes, edgePort, sitePort, seed }, figures: soakFigures(ledger, broken), answers, faults, memory, broken };
  } finally {
    beating?.stop();
    simulation?.stop();
    await mesh.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
