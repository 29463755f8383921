/**
 * The whole mesh SIGKILLed (the launcher and every workerd below it, as a machine losing
 * power) with callbacks due while it is down, then `npm start` again on its state: what
 * came due while it was down is called at once, each once, and nothing is lost.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { judge } from "../../chaos/ledger.ts";
import { killTree } from "../../chaos/processes.ts";
import { callbackAsOps, heardAvailable, heartbeats, requestCallback, seedAgents } from "../../chaos/traffic.ts";
import { acmeAllDay, call, eventually, launchMesh, type LaunchedMesh } from "../node/mesh-client.ts";
import { PORTS } from "../node/ports.ts";

let launched: LaunchedMesh | undefined;
let stateDir: string | undefined;
let beating: { stop(): void } | undefined;

afterAll(async () => {
  beating?.stop();
  await launched?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const args = (dir: string, fresh: boolean) => [
  "--state", dir, "--no-sim", "--edge-port", String(PORTS.chaosRestart.edge), "--site-port", String(PORTS.chaosRestart.site), ...(fresh ? ["--fresh"] : []),
];

describe("the whole mesh killed and started again", () => {
  it("tries again at once on restart what came due while it was down, each attempt dialed once", async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), "mesh-chaos-restart-"));
    launched = launchMesh(args(stateDir, true));
    const first = await launched.ready;
    const { edge, sites } = first.urls;
    const token = first.adminToken;
    const admin = { authorization: `Bearer ${token}` };
    // Busy lines are tried again a minute later: those retries come due while the mesh is dead.
    const provider = await acmeAllDay("chaos-restart");
    provider.rules = { ...provider.rules, retryBackoffMinutes: [1, 1], maxAttempts: 3 };
    expect((await call(edge, "POST", "/v1/providers", provider, admin)).status).toBe(201);
    const desks = [
      ...(await seedAgents(sites.austin!, token, [0, 1].map((i) => ({ id: `au${i}`, skills: { appliance_repair: 5 } })))),
      ...(await seedAgents(sites.paris!, token, [0, 1].map((i) => ({ id: `pa${i}`, skills: { appliance_repair: 4 } })))),
    ];
    // The agents' desktops go on beating while the mesh is down, as they would.
    beating = heartbeats(token, () => desks);
    await eventually(() => heardAvailable(edge, token), (by) => by.austin === 2 && by.paris === 2);

    const accepted: string[] = [];
    for (let i = 0; i < 3; i++) {
      // A number the simulated media server answers busy (…0001), one per customer (each number has its own limit).
      const phone = `+151255${5 + i}0001`;
      const asked = await requestCallback(edge, "chaos-restart", { user: `restart-${i}`, when: { asap: true }, reason: "the dryer makes a loud banging noise", phone });
      expect(asked.status, JSON.stringify(asked.body)).toBe(201);
      accepted.push(asked.confirmation!);
    }
    const retrying = await Promise.all(accepted.map((c) => eventually(() => callbackAsOps(edge, token, c), (cb) => cb.status === "retrying" && cb.scheduledFor != null, 30_000)));
    const dueAt = Math.max(...retrying.map((cb) => Date.parse(cb.scheduledFor as string)));
    expect(dueAt - Date.now(), "the retries are due about a minute after the busy lines").toBeLessThan(90_000);

    const killed = killTree(launched.child.pid!);
    expect(killed.length, "the launcher and its workerd processes").toBeGreaterThan(4);
    await launched.exited;
    // Dead until well past the time they were due.
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt + 5_000 - Date.now())));

    launched = launchMesh(args(stateDir, false));
    await launched.ready;
    const upAt = Date.now();
    // The second attempt of each, due while it was down, is dialed at once: within seconds of the mesh answering again.
    for (const c of accepted) {
      const cb = await eventually(() => callbackAsOps(edge, token, c), (v) => v.history?.some((e: { type: string; detail: { attempt?: number } }) => e.type === "dialing" && e.detail.attempt === 2), 30_000);
      const second = cb.history.find((e: { type: string; detail: { attempt?: number } }) => e.type === "dialing" && e.detail.attempt === 2);
      expect(Date.parse(second.at) - upAt).toBeLessThan(10_000);
    }
    const { broken } = await judge({ edge, sites, adminToken: token }, accepted);
    expect(broken).toEqual([]);
  }, 180_000);
});
