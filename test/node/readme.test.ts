/**
 * The README's first session, run literally: its shell blocks are extracted and run
 * by bash against a mesh started as `npm start` starts it (simulated agents and
 * peers included), and what they print is held against what the README tells a
 * reader to expect. A README that drifts from the product fails here.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../federation/node/launcher/options.ts";
import { call, eventually, launchMesh, type LaunchedMesh } from "./mesh-client.ts";
import { PORTS } from "./ports.ts";

const EDGE_PORT = PORTS.readme.edge;
const SITE_PORT = PORTS.readme.site;

/** The README's shell blocks marked with `name` after the language (```sh first-session). */
export function shellBlocks(markdown: string, name: string): string[] {
  return [...markdown.matchAll(/^```sh ([\w-]+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === name).map((m) => m[2]);
}

let launched: LaunchedMesh;
/** Stands for the repository's folder as a reader has it: .mesh-state/ (npm start's) and examples/. */
let folder: string;
let admin: string;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "mesh-readme-"));
  await symlink(path.join(REPO_ROOT, "examples"), path.join(folder, "examples"));
  // As `npm start` runs it: peers, simulated agents and a generated admin token kept in the state folder;
  // only the ports and where that folder is are the test's.
  launched = launchMesh(["--fresh", "--state", path.join(folder, ".mesh-state"), "--edge-port", String(EDGE_PORT), "--site-port", String(SITE_PORT)]);
  const { urls, adminToken } = await launched.ready;
  admin = adminToken;
  // A reader starts once npm start says the peers are up; the test waits until the edge hears every site.
  const members = await eventually(
    async () => (await call(urls.edge, "GET", "/v1/mesh", undefined, { authorization: `Bearer ${admin}` })).body.members as { siteId: string; health: string }[],
    (ms) => ms.filter((m) => m.health === "up").length === 3,
    30_000,
  );
  expect(members.map((m) => m.health)).toEqual(["up", "up", "up"]);
}, 120_000);

afterAll(async () => {
  await launched?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
}, 60_000);

describe("the README's first session", () => {
  it("runs as pasted: an agent, a provider, an offer, a callback that fires and is completed, then GraphQL", async () => {
    const readme = await readFile(path.join(REPO_ROOT, "README.md"), "utf8");
    const [session] = shellBlocks(readme, "first-session");
    const [graphql] = shellBlocks(readme, "graphql");
    expect(session, "the README has a ```sh first-session block").toBeDefined();
    expect(graphql, "the README has a ```sh graphql block").toBeDefined();

    // From the folder holding .mesh-state/ and examples/, as the README says (the token is read from there);
    // only the URLs point at this test's ports.
    const env: Record<string, string | undefined> = { ...process.env, EDGE: `http://127.0.0.1:${EDGE_PORT}`, PARIS: `http://127.0.0.1:${SITE_PORT}` };
    delete env.MESH_ADMIN_TOKEN;
    const { stdout } = await promisify(execFile)("bash", ["-eo", "pipefail", "-c", `${session}\n${graphql}`], { cwd: folder, env, timeout: 90_000 });
    const lines = stdout.trim().split("\n");
    expect(lines.slice(0, 4)).toEqual(["ana", "available", "heartbeat 204", "northstar"]);
    // Northstar is open around the clock: an offer with slots and no closed notice, whatever the hour.
    expect(lines[4]).toMatch(/^open now: true; first slot \d{4}-\d\d-\d\dT[\d:.]+Z; $/);
    expect(lines[5]).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4} pending repair$/);
    // What the README promises after "# ->", word for word.
    const promised = (prefix: string) => readme.split("\n").find((l) => l.startsWith(`# -> ${prefix}`))?.slice(5);
    expect(lines[6]).toBe(promised("received"));
    expect(lines[7]).toBe(promised("completed"));
    // GraphQL: the callback's agent is at one of the sites; every site is up at the edge.
    expect(lines[8]).toMatch(/^(paris|austin|manila)( (paris|austin|manila))*$/);
    expect(lines[9]).toBe(promised("austin up")?.split(":")[0]);
    expect(lines).toHaveLength(10);
  }, 120_000);
});
