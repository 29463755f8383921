/**
 * The local mesh launcher: its flags (pure), the `npm start` process as a
 * developer runs it, and the in-process API tests and benchmarks use.
 * Launched meshes use their own ports and a temp state folder, so a developer's
 * running mesh and its `.mesh-state/` are never touched.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bindingsFor, REPO_ROOT, startMesh, type Mesh } from "../../federation/node/launcher/mesh.ts";
import { parseOptions, planWorkers, UsageError } from "../../federation/node/launcher/options.ts";
import { checkPorts, PortError } from "../../federation/node/launcher/ports.ts";
import { loadSecrets } from "../../federation/node/launcher/secrets.ts";
import { eventually, launchMesh, type LaunchedMesh } from "./mesh-client.ts";
import { runtimeHolding } from "../../chaos/processes.ts";
import { PORTS } from "./ports.ts";

const HOST = "127.0.0.1";
const ctx = { cwd: "/somewhere", repoRoot: "/repo" };

describe("launcher options", () => {
  it("defaults to the documented mesh: edge 8787, paris/austin/manila on 8801–8803, state at the repo root", () => {
    const options = parseOptions([], {}, ctx)!;
    expect(options).toMatchObject({ sites: 3, fresh: false, stateDir: "/repo/.mesh-state", edgePort: 8787, sitePort: 8801, settings: {} });
    expect(planWorkers(options).map(({ id, env, port }) => [id, env, port])).toEqual([
      ["edge", "edge", 8787],
      ["paris", "paris", 8801],
      ["austin", "austin", 8802],
      ["manila", "manila", 8803],
    ]);
  });

  it("adds site4, site5 … on the paris environment with their own names and ports", () => {
    const plan = planWorkers(parseOptions(["--sites", "5"], {}, ctx)!);
    expect(plan.slice(4)).toEqual([
      { id: "site4", kind: "site", env: "paris", name: "callback-mesh-site-site4", port: 8804 },
      { id: "site5", kind: "site", env: "paris", name: "callback-mesh-site-site5", port: 8805 },
    ]);
  });

  it("reads the state folder, admin token and Worker settings from flags and the environment", () => {
    const env = { MESH_STATE_DIR: "st", MESH_ADMIN_TOKEN: "tok", HEARTBEAT_TIMEOUT_MS: "500", DIGEST_TTL_MS: "", OTHER: "x" };
    expect(parseOptions(["--fresh"], env, ctx)).toMatchObject({
      fresh: true,
      stateDir: "/somewhere/st",
      adminToken: "tok",
      settings: { HEARTBEAT_TIMEOUT_MS: "500" },
    });
    expect(parseOptions(["--state=/abs", "--sites=1"], env, ctx)).toMatchObject({ stateDir: "/abs", sites: 1 });
    expect(parseOptions(["--help"], {}, ctx)).toBeNull();
  });

  it("refuses what it cannot do", () => {
    for (const argv of [["--sites", "0"], ["--sites", "two"], ["--sites"], ["--bogus"], ["foo"], ["--edge-port", "8802"]]) {
      expect(() => parseOptions(argv, {}, ctx), argv.join(" ")).toThrow(UsageError);
    }
    expect(() => parseOptions([], { HEARTBEAT_TIMEOUT_MS: "30s" }, ctx)).toThrow(/HEARTBEAT_TIMEOUT_MS/);
  });
});

describe("port clashes", () => {
  // Ports the system hands out, held by this test: never 8787 or a developer's mesh.
  const held: net.Server[] = [];
  const hold = async (): Promise<number> => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    held.push(server);
    return (server.address() as net.AddressInfo).port;
  };
  const freePort = async (): Promise<number> => {
    const port = await hold();
    await new Promise((resolve) => held.pop()!.close(resolve));
    return port;
  };
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "mesh-ports-"));
  });
  afterAll(async () => {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
    await rm(stateDir, { recursive: true, force: true });
  });

  it("names the launcher's flag and the port that is taken, before anything starts", async () => {
    const edgePort = await hold();
    const sitePort = await freePort();
    const edgeClash = checkPorts(planWorkers({ sites: 1, edgePort, sitePort }), HOST);
    await expect(edgeClash).rejects.toThrow(PortError);
    await expect(edgeClash).rejects.toThrow(`${HOST}:${edgePort}, the edge's port, is already in use: stop what holds it or choose another with --edge-port P`);

    // The second of three sites is taken: the message says which and how to move them all.
    const austin = await hold();
    const siteClash = checkPorts(planWorkers({ sites: 3, edgePort: await freePort(), sitePort: austin - 1 }), HOST);
    await expect(siteClash).rejects.toThrow(`${HOST}:${austin}, site austin's port (the sites take ${austin - 1}–${austin + 1}), is already in use: stop what holds it or move the sites with --site-port P`);
    await expect(siteClash).rejects.not.toThrow(/--port\b/);

    await expect(checkPorts(planWorkers({ sites: 1, edgePort: await freePort(), sitePort: await freePort() }), HOST)).resolves.toBeUndefined();
  });

  it("npm start says so in one line and exits, leaving the state folder as it was", async () => {
    const edgePort = await hold();
    // A state folder --fresh would delete: a clash must not cost it.
    const kept = path.join(stateDir, "kept");
    await mkdir(kept);
    await writeFile(path.join(kept, "secrets.json"), "{}");
    const launcher = launch(["--no-peers", "--fresh", "--state", kept, "--sites", "1", "--edge-port", String(edgePort), "--site-port", String(await freePort())]);
    try {
      expect(await launcher.exited).toBe(1);
      expect(launcher.output()).toBe(`mesh failed to start: ${HOST}:${edgePort}, the edge's port, is already in use: stop what holds it or choose another with --edge-port P\n`);
      expect(await readFile(path.join(kept, "secrets.json"), "utf8")).toBe("{}");
    } finally {
      if (launcher.child.exitCode === null) launcher.child.kill("SIGKILL");
    }
  });

  it("npm start answers a bad flag with one line of usage error", async () => {
    for (const [flags, message] of [
      [["--bogus"], "unknown option --bogus"],
      [["--site-port"], "--site-port needs a value"],
    ] as const) {
      const launcher = launch([...flags]);
      expect(await launcher.exited).toBe(2);
      expect(launcher.output()).toBe(`${message} (npm start -- --help for usage)\n`);
    }
  });
});

describe("launcher secrets and bindings", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "mesh-secrets-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("generates secrets once, keeps them, and adds only what a bigger mesh needs", async () => {
    const three = planWorkers({ sites: 3, edgePort: 8787, sitePort: 8801 });
    const first = await loadSecrets(dir, three);
    expect(first.adminTokenSource).toBe("state");
    expect(Object.keys(first.workers)).toEqual(["edge", "paris", "austin", "manila"]);
    const again = await loadSecrets(dir, planWorkers({ sites: 4, edgePort: 8787, sitePort: 8801 }));
    expect(again.MESH_ADMIN_TOKEN).toBe(first.MESH_ADMIN_TOKEN);
    expect(again.EDGE_MEMBERSHIP_KEY).toBe(first.EDGE_MEMBERSHIP_KEY);
    expect(again.workers.paris).toEqual(first.workers.paris);
    expect(again.workers.site4?.jwtSecret).not.toBe(first.workers.paris!.jwtSecret);
    // A token from the environment wins and is never written down.
    const fromEnv = await loadSecrets(dir, three, "env-token");
    expect(fromEnv).toMatchObject({ MESH_ADMIN_TOKEN: "env-token", adminTokenSource: "env" });
    expect(await readFile(path.join(dir, "secrets.json"), "utf8")).not.toContain("env-token");
  });

  it("gives the edge its routes to the sites and each site its identity and keys", async () => {
    const options = parseOptions(["--sites", "4"], { DIGEST_TTL_MS: "5000" }, ctx)!;
    const plan = planWorkers(options);
    const secrets = await loadSecrets(dir, plan);
    const text = (b: Record<string, { value: string }>) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v.value]));
    const edge = text(bindingsFor(plan[0]!, plan, options, secrets));
    expect(edge).toMatchObject({
      MESH_ADMIN_TOKEN: secrets.MESH_ADMIN_TOKEN,
      EDGE_MEMBERSHIP_KEY: secrets.EDGE_MEMBERSHIP_KEY,
      EDGE_JWT_SECRET: secrets.workers.edge!.jwtSecret,
      PUBLIC_URL: "http://127.0.0.1:8787",
      DIGEST_TTL_MS: "5000",
    });
    expect(JSON.parse(edge.SITE_URLS!)).toEqual({
      paris: "http://127.0.0.1:8801",
      austin: "http://127.0.0.1:8802",
      manila: "http://127.0.0.1:8803",
      site4: "http://127.0.0.1:8804",
    });
    const site4 = text(bindingsFor(plan[4]!, plan, options, secrets));
    expect(site4).toMatchObject({
      SITE_ID: "site4",
      EDGE_MEMBERSHIP_PUBLIC_KEY: secrets.EDGE_MEMBERSHIP_PUBLIC_KEY,
      SITE_JWT_SECRET: secrets.workers.site4!.jwtSecret,
      PEER_SECRET: secrets.workers.site4!.peerSecret,
      MEMBER_SIGNING_KEY: secrets.workers.site4!.memberKey,
    });
    // Each site its own member key (the edge none): one site's agents' tokens are no other's.
    expect(JSON.parse(site4.MEMBER_SIGNING_KEY!)).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    expect(site4.MEMBER_SIGNING_KEY).not.toBe(secrets.workers.paris!.memberKey);
    expect(edge).not.toHaveProperty("MEMBER_SIGNING_KEY");
    expect(site4).not.toHaveProperty("SITE_URLS");
    // A site holds no key of the edge's, and no secret that works anywhere else.
    expect(site4).not.toHaveProperty("EDGE_MEMBERSHIP_KEY");
    expect(Object.values(site4)).not.toContain(secrets.workers.paris!.jwtSecret);
  });
});

describe("npm start", () => {
  const EDGE_PORT = PORTS.launcherProcess.edge;
  const SITE_PORT = PORTS.launcherProcess.site;
  const SITES = ["paris", "austin", "manila"];
  const urls = [EDGE_PORT, SITE_PORT, SITE_PORT + 1, SITE_PORT + 2].map((port) => `http://${HOST}:${port}`);
  let stateDir: string;
  let launcher: Launcher | undefined;

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "mesh-state-"));
  });
  afterEach(async () => {
    // A failed assertion must not leave a mesh holding the ports for the next test.
    if (launcher && launcher.child.exitCode === null) {
      launcher.child.kill("SIGKILL");
      await launcher.exited;
    }
    launcher = undefined;
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("serves every Worker, keeps agents across restarts and stops cleanly on SIGINT", async () => {
    const flags = ["--state", stateDir, "--edge-port", String(EDGE_PORT), "--site-port", String(SITE_PORT)];
    for (const url of urls) await expectPortFree(url);

    launcher = launch([...flags, "--fresh"]);
    const first = await launcher.ready;
    expect(first.seconds).toBeGreaterThan(0);
    for (const url of urls) expect(launcher.output()).toContain(url);

    for (const url of urls) expect((await fetch(`${url}/healthz`)).status).toBe(200);
    for (const [i, siteId] of SITES.entries()) {
      const response = await fetch(urls[i + 1]!);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ siteId });
    }

    const auth = { authorization: `Bearer ${first.adminToken}` };
    const ana = { name: "Ana", skills: { appliance_repair: 4 }, channels: ["voice"], languages: ["en"] };
    const put = await fetch(`${urls[1]}/v1/agents/ana`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(ana),
    });
    expect(put.status, await put.clone().text()).toBe(201);
    // The admin token is the one printed: anything else is refused.
    expect((await fetch(`${urls[1]}/v1/agents/ana`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);

    await launcher.interruptAndExpectCleanExit();
    for (const url of urls) await expectPortFree(url);

    // No --fresh: the Durable Object state and the generated admin token are still there.
    launcher = launch(flags);
    const second = await launcher.ready;
    expect(second.adminToken).toBe(first.adminToken);
    const got = await fetch(`${urls[1]}/v1/agents/ana`, { headers: auth });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id: "ana", name: "Ana", skills: { appliance_repair: 4 } });
    // Paris's roster is its own: Austin never heard of Ana.
    expect((await fetch(`${urls[2]}/v1/agents/ana`, { headers: auth })).status).toBe(404);

    await launcher.interruptAndExpectCleanExit();
    for (const url of urls) await expectPortFree(url);
  });

  it("starts empty with --fresh", async () => {
    const flags = ["--state", stateDir, "--edge-port", String(EDGE_PORT), "--site-port", String(SITE_PORT), "--fresh"];
    launcher = launch(flags);
    const { adminToken } = await launcher.ready;
    const list = await fetch(`${urls[1]}/v1/agents`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await list.json()).toEqual({ agents: [] });
    await launcher.interruptAndExpectCleanExit();
  });
});

describe("startMesh", () => {
  let mesh: Mesh | undefined;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "mesh-state-"));
  });
  afterAll(async () => {
    await mesh?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("lets one site die alone while the rest keep answering", async () => {
    const options = parseOptions(["--state", stateDir, "--edge-port", String(PORTS.launcherInProcess.edge), "--site-port", String(PORTS.launcherInProcess.site)], { MESH_ADMIN_TOKEN: "in-process-admin" }, {
      cwd: REPO_ROOT,
      repoRoot: REPO_ROOT,
    })!;
    mesh = await startMesh(options, { log: () => {} });
    expect(mesh.adminToken).toBe("in-process-admin");
    expect(Object.keys(mesh.urls.sites)).toEqual(["paris", "austin", "manila"]);

    await mesh.stopSite("austin");
    await expectPortFree(mesh.urls.sites.austin!);
    for (const url of [mesh.urls.edge, mesh.urls.sites.paris!, mesh.urls.sites.manila!]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    }
    await expect(mesh.stopSite("austin")).rejects.toThrow(/no running site/);

    await mesh.stop();
    for (const url of [mesh.urls.edge, ...Object.values(mesh.urls.sites)]) await expectPortFree(url);
    mesh = undefined;
  });
});

describe("supervision", () => {
  let mesh: Mesh | undefined;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "mesh-supervised-"));
  });
  afterAll(async () => {
    await mesh?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("restarts a site whose runtime hangs (accepts connections, never answers), on its state", async () => {
    const options = parseOptions(["--state", stateDir, "--edge-port", String(PORTS.launcherSupervised.edge), "--site-port", String(PORTS.launcherSupervised.site), "--sites", "1", "--no-peers"], { MESH_ADMIN_TOKEN: "supervised-admin" }, {
      cwd: REPO_ROOT,
      repoRoot: REPO_ROOT,
    })!;
    const said: string[] = [];
    mesh = await startMesh(options, {
      log: (id, level, message) => said.push(`${id} ${level} ${message}`),
      supervise: { intervalMs: 300, timeoutMs: 500, failuresBeforeRestart: 2, maxRestarts: 2 },
    });
    const paris = mesh.urls.sites.paris!;
    const admin = { authorization: "Bearer supervised-admin", "content-type": "application/json" };
    const put = await fetch(`${paris}/v1/agents/ana`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ name: "Ana", skills: { billing: 3 }, channels: ["voice"], languages: ["en"], capacity: 1 }),
    });
    expect(put.status).toBe(201);

    // The site's own runtime (not wrangler's proxy in front of it) is frozen: the proxy still takes connections.
    const runtime = runtimeHolding(path.join(stateDir, "paris"));
    expect(runtime, "the workerd that holds paris's state").not.toBeNull();
    process.kill(runtime!, "SIGSTOP");
    try {
      const hung = await fetch(`${paris}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => `answered ${r.status}`,
        (e: Error) => e.name,
      );
      expect(hung).toBe("TimeoutError");

      // Two failed checks, then a restart on the same state: the agent is still there.
      const restarted = await eventually(
        async () => mesh!.workers().find((w) => w.id === "paris")!,
        (w) => w.restarts === 1 && w.health === "running",
        30_000,
      );
      expect(restarted).toMatchObject({ id: "paris", health: "running", restarts: 1, failures: 0 });
      const ana = await fetch(`${paris}/v1/agents/ana`, { headers: admin, signal: AbortSignal.timeout(2_000) });
      expect(ana.status).toBe(200);
      expect(((await ana.json()) as { name: string }).name).toBe("Ana");
      expect(isAlive(runtime!), "the hung runtime was killed").toBe(false);
      expect(said.some((line) => /paris warn paris does not answer \(no answer in 500 ms, 2 checks in a row\): restarting it \(#1\)/.test(line))).toBe(true);
      expect(mesh.workers().find((w) => w.id === "edge")).toMatchObject({ health: "running", restarts: 0 });
    } finally {
      if (isAlive(runtime!)) process.kill(runtime!, "SIGCONT");
    }
    await mesh.stop();
    mesh = undefined;
  });
});

// ---- helpers ----


interface Launcher extends LaunchedMesh {
  interruptAndExpectCleanExit(): Promise<void>;
}

/** Runs the CLI exactly as `npm start` does, on the pinned Node; the agent simulation would fill the rosters this test checks. */
function launch(args: string[]): Launcher {
  const launched = launchMesh(["--no-sim", ...args]);
  const { child, exited } = launched;
  const out = launched.output;
  return {
    ...launched,
    async interruptAndExpectCleanExit() {
      const workerds = childWorkerds(child.pid!);
      expect(workerds.length, "one workerd per Worker, plus wrangler's proxy for each").toBeGreaterThanOrEqual(4);
      child.kill("SIGINT");
      expect(await exited, out()).toBe(0);
      expect(out()).toContain("mesh stopped");
      for (const pid of workerds) expect(isAlive(pid), `workerd ${pid} outlived the launcher`).toBe(false);
    },
  };
}

/** The workerd processes a launcher spawned (Linux/macOS `ps`). */
function childWorkerds(parent: number): number[] {
  const out = execFileSync("ps", ["-A", "-o", "pid=,ppid=,comm="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, comm]) => Number(ppid) === parent && comm === "workerd")
    .map(([pid]) => Number(pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Free means we can listen on it; polled briefly, as the kernel may take a moment to release it. */
async function expectPortFree(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(Number(port), hostname, () => server.close(() => resolve(true)));
    });
    if (free) return;
    if (Date.now() > deadline) throw new Error(`${url} is still taken`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
