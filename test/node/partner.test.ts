/**
 * A partner joins as the README's "A partner joins" says, in whole processes: its own
 * site Worker with its own secrets and member key, its peer started with
 * `npm run federation -- member`, registered by the federation's admin. It gossips and
 * serves its own site; it cannot reserve, release or read outside its boundary; and
 * when it is removed, how long each node takes to cut it off is measured.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startLocalWorker, type LocalWorker } from "../../bench/lib/workers.ts";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { REPO_ROOT } from "../../federation/node/launcher/options.ts";
import { acmeAllDay, call, eventually, freshMesh } from "./mesh-client.ts";
import { PORTS } from "./ports.ts";

const NODE = path.join(REPO_ROOT, "node_modules", ".bin", "node");
const GLOBEX_ADMIN = `globex-admin-${randomBytes(8).toString("hex")}`;

let mesh: Mesh;
let stopMesh: () => Promise<void>;
let globex: LocalWorker;
let peer: ChildProcess | undefined;
let dir: string;
let peerOut = "";

beforeAll(async () => {
  ({ mesh, stop: stopMesh } = await freshMesh("partner", PORTS.partner.edge, PORTS.partner.site));
  dir = await mkdtemp(path.join(tmpdir(), "mesh-globex-"));
}, 120_000);

afterAll(async () => {
  if (peer && peer.exitCode === null) {
    peer.kill("SIGINT");
    await new Promise((resolve) => peer!.once("exit", resolve));
  }
  await globex?.dispose();
  await stopMesh?.();
  await rm(dir, { recursive: true, force: true });
});

const admin = () => ({ authorization: `Bearer ${mesh.adminToken}` });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const healthAt = async (base: string, token: string) =>
  Object.fromEntries(((await call(base, "GET", "/v1/mesh", undefined, bearer(token))).body.members as { siteId: string; health: string }[]).map((m) => [m.siteId, m.health]));

/** Runs the federation CLI as a partner would, on the pinned Node. */
function cli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(NODE, ["federation/node/cli.ts", ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

async function output(child: ChildProcess): Promise<string> {
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (out += c));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`federation CLI exited ${code}: ${out}`);
  return out;
}

describe("a partner member with its own key", () => {
  it("gossips and serves its own site, cannot act outside its boundary, and is cut off when removed", async () => {
    const edge = mesh.urls.edge;
    const paris = mesh.urls.sites.paris!;

    // 1. Its peer key, kept outside the work tree; the peer id goes to the admin.
    const keyFile = path.join(dir, "peer.key");
    const peerId = (await output(cli(["keygen", "--key", keyFile]))).trim().split("\n").pop()!;
    expect(peerId).toMatch(/^12D3KooW/);

    // 2. Its own member key and the edge's public key, from the edge's JWKS.
    const { privateKey } = generateKeyPairSync("ed25519");
    const memberKey = privateKey.export({ format: "jwk" }) as { kty: string; crv: string; x: string; d: string };
    const jwks = (await call(edge, "GET", "/.well-known/jwks.json")).body as { keys: { kid: string }[] };
    const edgeKey = jwks.keys[0]!;

    // 3. Its site Worker, deployed with secrets of its own (nothing of the enterprise's).
    const peerSecret = randomBytes(32).toString("base64url");
    const text = (value: string) => ({ type: "secret_text" as const, value });
    globex = await startLocalWorker({
      label: "globex",
      config: path.join(REPO_ROOT, "wrangler.toml"),
      env: "paris",
      bindings: {
        SITE_ID: { type: "plain_text", value: "globex" },
        MESH_ADMIN_TOKEN: text(GLOBEX_ADMIN),
        SITE_JWT_SECRET: text(randomBytes(32).toString("base64url")),
        PEER_SECRET: text(peerSecret),
        MEMBER_SIGNING_KEY: text(JSON.stringify(memberKey)),
        EDGE_MEMBERSHIP_PUBLIC_KEY: text(JSON.stringify(edgeKey)),
      },
      persist: path.join(dir, "state"),
      readyPath: "/healthz",
      direct: false,
    });
    const globexUrl = globex.url.origin;

    // 4. The admin registers it: a partner, public exposure, its peer's address and its member key.
    const peerPort = await freePort();
    const registered = await call(
      edge,
      "POST",
      "/v1/federation/members",
      {
        siteId: "globex",
        peerId,
        trust: "partner",
        exposure: "public",
        subgraphUrl: `${globexUrl}/graphql`,
        addrs: [`/ip4/127.0.0.1/tcp/${peerPort}/p2p/${peerId}`],
        keys: [{ kty: memberKey.kty, crv: memberKey.crv, x: memberKey.x }],
      },
      admin(),
    );
    expect(registered.status).toBe(201);

    // 5. Its peer, bridged to its Worker, checking the edge's key by the thumbprint the admin gave.
    peer = cli(
      ["member", "--site", "globex", "--worker", globexUrl, "--edge", edge, "--edge-thumbprint", edgeKey.kid, "--key", keyFile, "--listen", `/ip4/127.0.0.1/tcp/${peerPort}`],
      { PEER_SECRET: peerSecret },
    );
    peer.stdout!.setEncoding("utf8").on("data", (c: string) => (peerOut += c));
    peer.stderr!.setEncoding("utf8").on("data", (c: string) => (peerOut += c));

    // It serves its own site: an agent, and its staff's token signed by its own key.
    const put = await call(
      globexUrl,
      "PUT",
      "/v1/agents/gina",
      { name: "Gina", skills: { appliance_repair: 4 }, channels: ["voice"], languages: ["en"], capacity: 1, exposure: "federated" },
      bearer(GLOBEX_ADMIN),
    );
    expect(put.status).toBe(201);
    expect((await call(globexUrl, "POST", "/v1/agents/gina/status", { state: "available" }, bearer(GLOBEX_ADMIN))).status).toBe(200);
    const staff = (await call(globexUrl, "POST", "/v1/tokens", { role: "partner", partnerId: "globex" }, bearer(GLOBEX_ADMIN))).body.token as string;

    // It gossips: the edge and Paris hear from it over libp2p, and it hears from them.
    const atEdge = await eventually(() => healthAt(edge, mesh.adminToken), (h) => h.globex === "up", 30_000);
    expect(atEdge.globex, peerOut).toBe("up");
    expect((await eventually(() => healthAt(paris, mesh.adminToken), (h) => h.globex === "up", 30_000)).globex).toBe("up");
    expect((await eventually(() => healthAt(globexUrl, GLOBEX_ADMIN), (h) => h.paris === "up", 30_000)).paris).toBe("up");

    // Registered with public exposure: bookable, but none of its agents is listed outside it.
    const atEdgeMembers = (await call(edge, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; agents: { total: number } }[];
    expect(atEdgeMembers.find((m) => m.siteId === "globex")?.agents.total).toBe(0);

    // At the edge, its staff's token sees its own site whole and the others as the federation does.
    await call(paris, "PUT", "/v1/agents/ana", { name: "Ana", skills: { appliance_repair: 5 }, channels: ["voice"], languages: ["en"], capacity: 1 }, admin());
    const seen = await call(edge, "POST", "/graphql", { query: "{ agents { siteId name } }" }, { ...bearer(staff), accept: "application/graphql-response+json" });
    expect(seen.status).toBe(200);
    const agents = seen.body.data.agents as { siteId: string; name: string | null }[];
    expect(agents).toEqual(expect.arrayContaining([{ siteId: "globex", name: "Gina" }, { siteId: "paris", name: null }]));

    // Outside its boundary: nothing it holds works at Paris, or on the edge's callbacks.
    await call(edge, "POST", "/v1/providers", await acmeAllDay("partner-test"), admin());
    const reservation = { callbackId: "cb_x", skill: "appliance_repair", channel: "voice", start: new Date(Date.now() + 3_600_000).toISOString(), end: new Date(Date.now() + 4_500_000).toISOString() };
    for (const credential of [staff, peerSecret, GLOBEX_ADMIN]) {
      expect((await call(paris, "POST", "/federation/reservations", reservation, bearer(credential))).status).toBe(401);
      expect((await call(paris, "POST", "/federation/reservations/res_0123456789abcdef/release", undefined, bearer(credential))).status).toBe(401);
      expect((await call(paris, "GET", "/v1/agents", undefined, bearer(credential))).status).toBe(401);
    }
    const offer = await call(edge, "POST", "/v1/interactions", { providerId: "partner-test", user: { id: "customer-1" } });
    const asked = await call(
      edge,
      "POST",
      "/v1/callbacks",
      { indicia: offer.body.token, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: "my dryer is broken" },
      { "idempotency-key": "partner-test-1" },
    );
    expect(asked.status).toBe(201);
    const someonesCallback = await call(edge, "GET", `/v1/callbacks/${asked.body.confirmation}`, undefined, bearer(staff));
    expect(someonesCallback.status).toBe(403);
    expect(JSON.stringify(someonesCallback.body)).not.toContain("+15125550142");
    expect((await call(edge, "GET", "/v1/media/dials", undefined, bearer(staff))).status).toBe(403);
    const reservations = await call(edge, "POST", "/graphql", { query: '{ site(id: "paris") { reservations { id } } }' }, { ...bearer(staff), accept: "application/graphql-response+json" });
    expect(reservations.body.data.site.reservations).toBeNull();

    // Removed: the edge refuses its token at once; Paris drops its digests when its peer brings the new list.
    const removedAt = Date.now();
    expect((await call(edge, "DELETE", "/v1/federation/members/globex", undefined, admin())).status).toBe(200);
    const refused = await call(edge, "POST", "/graphql", { query: "{ agents { siteId } }" }, { ...bearer(staff), accept: "application/graphql-response+json" });
    const edgeCutMs = Date.now() - removedAt;
    expect(refused.status).toBe(401);
    const gone = await eventually(() => healthAt(paris, mesh.adminToken), (h) => !("globex" in h), 30_000);
    const parisCutMs = Date.now() - removedAt;
    expect(gone).not.toHaveProperty("globex");
    // The figures the README quotes: how long removal takes to reach each node.
    console.log(`partner removal: refused at the edge ${edgeCutMs} ms after DELETE; gone from paris's mesh view after ${parisCutMs} ms`);
    expect(parisCutMs).toBeLessThan(15_000);
  }, 180_000);
});
