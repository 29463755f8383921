/**
 * `npm run federation -- keygen|member` as a partner runs it: where the key goes
 * (never the work tree, never replaced without --force), what a missing or wrong
 * argument is told, and how the edge's public key is taken from a JWK or a JWKS.
 * Every run has a temp HOME and XDG_CONFIG_HOME: the real ones are never touched.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { calculateJwkThumbprint } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliUsageError, defaultKeyFile, MEMBER_OPTIONS, parseKeygen, parseMember, wantsHelp } from "../../federation/node/cli-options.ts";
import { resolveEdgeKey } from "../../federation/node/edge-key.ts";
import { signMembership, verifyMembership } from "../../federation/wire/membership.ts";
import { createKey, KeyExistsError, loadOrCreateKey } from "../../federation/node/peer/keys.ts";
import { REPO_ROOT } from "../../federation/node/launcher/options.ts";

const OK_ARGS = ["--site", "globex", "--worker", "http://127.0.0.1:1", "--edge", "http://127.0.0.1:2"];

describe("federation CLI flags", () => {
  it("keeps the key under XDG_CONFIG_HOME, else ~/.config, else asks for --key", () => {
    expect(defaultKeyFile({ XDG_CONFIG_HOME: "/x", HOME: "/h" })).toBe("/x/callback-mesh/peer.key");
    expect(defaultKeyFile({ HOME: "/h" })).toBe("/h/.config/callback-mesh/peer.key");
    // A relative XDG_CONFIG_HOME is invalid by the spec, so HOME decides.
    expect(defaultKeyFile({ XDG_CONFIG_HOME: "rel", HOME: "/h" })).toBe("/h/.config/callback-mesh/peer.key");
    expect(() => defaultKeyFile({})).toThrow(/--key FILE/);
    expect(parseKeygen([], { HOME: "/h" }, "/cwd")).toEqual({ keyFile: "/h/.config/callback-mesh/peer.key", force: false });
    expect(parseKeygen(["--key", "a.key", "--force"], { HOME: "/h" }, "/cwd")).toEqual({ keyFile: "/cwd/a.key", force: true });
  });

  it("names every missing argument of member, in the usage's order", () => {
    const env = { HOME: "/h", PEER_SECRET: "s" };
    const cases: [string[], Record<string, string>, string][] = [
      [[], { HOME: "/h" }, "member needs --site ID, --worker URL, --edge URL and PEER_SECRET (in the environment)"],
      [["--worker", "http://w", "--edge", "http://e"], env, "member needs --site ID"],
      [["--site", "globex", "--edge", "http://e"], env, "member needs --worker URL"],
      [["--site", "globex", "--worker", "http://w"], env, "member needs --edge URL"],
      [OK_ARGS, { HOME: "/h" }, "member needs PEER_SECRET (in the environment)"],
    ];
    for (const [args, vars, message] of cases) expect(() => parseMember(args, vars, "/cwd"), args.join(" ")).toThrow(new CliUsageError(message));
  });

  it("says what is wrong with a flag in one line", () => {
    const env = { HOME: "/h", PEER_SECRET: "s" };
    const cases: [string[], RegExp][] = [
      [["--site"], /^--site needs a value$/],
      [["--site", "--worker", "http://w"], /^--site needs a value$/],
      [["--bogus"], /^unknown option --bogus$/],
      [["extra"], /^unexpected argument "extra"$/],
      [["--site", "Globex!", ...OK_ARGS.slice(2)], /^--site "Globex!": a site id is a lower-case slug/],
      [[...OK_ARGS.slice(0, 2), "--worker", "globex.example", ...OK_ARGS.slice(4)], /^--worker wants an http\(s\) URL/],
      [[...OK_ARGS, "--edge-key", "{nope"], /^--edge-key looks like a JWK but is not valid JSON$/],
      [[...OK_ARGS, "--edge-key", "edge.jwk"], /^--edge-key wants the edge's public JWK/],
    ];
    for (const [args, message] of cases) expect(() => parseMember(args, env, "/cwd"), args.join(" ")).toThrow(message);
    expect(() => parseKeygen(["--force=yes"], env, "/cwd")).toThrow(/^--force takes no value$/);
  });

  it("takes the edge's key from --edge-key (JWK or JWKS URL), else from the edge's well-known JWKS", () => {
    const env = { HOME: "/h", PEER_SECRET: "s" };
    expect(parseMember([...OK_ARGS.slice(0, 4), "--edge", "https://edge.test/"], env, "/cwd")).toMatchObject({
      edgeUrl: "https://edge.test",
      edgeKey: { jwksUrl: "https://edge.test/.well-known/jwks.json" },
      keyFile: "/h/.config/callback-mesh/peer.key",
      peerSecret: "s",
    });
    expect(parseMember([...OK_ARGS, "--edge-key", "https://keys.test/jwks.json"], env, "/cwd").edgeKey).toEqual({ jwksUrl: "https://keys.test/jwks.json" });
    expect(parseMember([...OK_ARGS, "--edge-key", '{"kty":"OKP"}'], env, "/cwd").edgeKey).toEqual({ jwk: { kty: "OKP" } });
  });

  it("fetches the edge's key over https or loopback only: plain http elsewhere is refused in one line", () => {
    const env = { HOME: "/h", PEER_SECRET: "s" };
    const withEdge = (edge: string, ...more: string[]) => parseMember([...OK_ARGS.slice(0, 4), "--edge", edge, ...more], env, "/cwd");
    expect(() => withEdge("http://edge.example")).toThrow(
      new CliUsageError(
        "will not fetch the edge's key from http://edge.example/.well-known/jwks.json over plain http (only https, or http on loopback): use https in --edge, or give the key with --edge-key JWK",
      ),
    );
    expect(() => withEdge("https://edge.example", "--edge-key", "http://keys.example/jwks.json")).toThrow(/^will not fetch .* over plain http .*use https in --edge-key/);
    for (const loopback of ["http://127.0.0.1:8787", "http://[::1]:8787", "http://localhost:8787"]) {
      expect(withEdge(loopback).edgeKey, loopback).toEqual({ jwksUrl: `${loopback}/.well-known/jwks.json` });
    }
    // Not loopback by name: a host that merely starts like one.
    expect(() => withEdge("http://localhost.example.com")).toThrow(/over plain http/);
    // A key given inline travels with the partner, not over the wire: the edge's scheme does not matter then.
    expect(withEdge("http://edge.example", "--edge-key", '{"kty":"OKP"}').edgeKey).toEqual({ jwk: { kty: "OKP" } });
  });

  it("takes the thumbprint the admin gives with --edge-thumbprint, and checks its form", () => {
    const env = { HOME: "/h", PEER_SECRET: "s" };
    const thumbprint = "a".repeat(43);
    expect(parseMember([...OK_ARGS, "--edge-thumbprint", thumbprint], env, "/cwd").edgeThumbprint).toBe(thumbprint);
    expect(parseMember(OK_ARGS, env, "/cwd")).not.toHaveProperty("edgeThumbprint");
    expect(() => parseMember([...OK_ARGS, "--edge-thumbprint", "abc"], env, "/cwd")).toThrow(/^--edge-thumbprint wants the edge key's SHA-256 thumbprint .* not "abc"$/);
  });

  it("sees -h or --help among a subcommand's arguments, and nothing else", () => {
    for (const args of [["--help"], ["-h"], ["--site", "globex", "--help"], ["--bogus", "-h"], ["--force", "--help"]]) expect(wantsHelp(args), args.join(" ")).toBe(true);
    for (const args of [[], ["--site", "globex"], ["--site=--help"], ["--", "--help"], ["--helpful"]]) expect(wantsHelp(args), args.join(" ")).toBe(false);
  });

  it("takes a thumbprint that begins with a dash as the thumbprint, never as flags (one in 64 keys has one)", () => {
    const dashed = "-hQ5uS0_9wD8yZ5kVt3mB2nR7xL4pE6aJcG1fH0iKoW";
    const args = [...OK_ARGS, "--edge-thumbprint", dashed];
    expect(wantsHelp(args, MEMBER_OPTIONS)).toBe(false);
    expect(parseMember(args, { HOME: "/h", PEER_SECRET: "s" }, "/cwd")).toMatchObject({ edgeThumbprint: dashed });
    expect(wantsHelp([...args, "--help"], MEMBER_OPTIONS)).toBe(true);
  });
});

describe("the edge's public key", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const privateJwk = privateKey.export({ format: "jwk" });
  const publicJwk = publicKey.export({ format: "jwk" });
  const other = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" });
  /** What the JWKS server answers, by path. */
  const routes: Record<string, { status: number; body: unknown }> = {
    "/.well-known/jwks.json": { status: 200, body: { keys: [{ ...publicJwk, kid: "k1", use: "sig", alg: "EdDSA" }, { kty: "RSA", n: "x", e: "AQAB" }] } },
    "/two.json": { status: 200, body: { keys: [publicJwk, other] } },
    "/none.json": { status: 200, body: { keys: [] } },
    "/not-a-set.json": { status: 200, body: { key: publicJwk } },
  };
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const route = routes[req.url ?? ""] ?? { status: 404, body: { error: "not_found" } };
      res.writeHead(route.status, { "content-type": "application/json" }).end(JSON.stringify(route.body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("fetches the one Ed25519 signing key of a JWKS, which then verifies the edge's lists", async () => {
    const key = await resolveEdgeKey({ jwksUrl: `${base}/.well-known/jwks.json` });
    expect(key.jwk).toEqual({ kty: "OKP", crv: "Ed25519", x: publicJwk.x });
    expect(key.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const list = { version: 1 as const, seq: 3, issuedAtMs: 1, members: [] };
    expect(await verifyMembership(await signMembership(list, privateJwk), key.jwk)).toEqual(list);
    // The same key given inline is the same key.
    expect((await resolveEdgeKey({ jwk: publicJwk })).thumbprint).toBe(key.thumbprint);
  });

  it("checks the key against --edge-thumbprint, fetched or given, naming both when they differ", async () => {
    const thumbprint = await calculateJwkThumbprint(publicJwk as never, "sha256");
    const otherThumbprint = await calculateJwkThumbprint(other as never, "sha256");
    expect((await resolveEdgeKey({ jwksUrl: `${base}/.well-known/jwks.json` }, { thumbprint })).thumbprint).toBe(thumbprint);
    expect((await resolveEdgeKey({ jwk: publicJwk }, { thumbprint })).thumbprint).toBe(thumbprint);
    await expect(resolveEdgeKey({ jwksUrl: `${base}/.well-known/jwks.json` }, { thumbprint: otherThumbprint })).rejects.toThrow(
      new Error(`the edge's key from ${base}/.well-known/jwks.json has thumbprint ${thumbprint}, not ${otherThumbprint} (--edge-thumbprint, as the admin gave it): not starting`),
    );
    await expect(resolveEdgeKey({ jwk: publicJwk }, { thumbprint: otherThumbprint })).rejects.toThrow(`from --edge-key has thumbprint ${thumbprint}, not ${otherThumbprint}`);
  });

  it("refuses a JWKS that an https URL redirected to plain http", async () => {
    const redirected = (async () => {
      const res = Response.json({ keys: [publicJwk] });
      return Object.defineProperties(res, { redirected: { value: true }, url: { value: "http://keys.example/jwks.json" } });
    }) as unknown as typeof fetch;
    await expect(resolveEdgeKey({ jwksUrl: "https://edge.example/.well-known/jwks.json" }, { fetchImpl: redirected })).rejects.toThrow(
      /could not read the edge's public key from https:\/\/edge\.example\/\.well-known\/jwks\.json: it redirected to http:\/\/keys\.example\/jwks\.json, plain http/,
    );
  });

  it("refuses what cannot be trusted or used, saying why", async () => {
    await expect(resolveEdgeKey({ jwksUrl: `${base}/missing.json` })).rejects.toThrow(/could not read the edge's public key from .*missing\.json: it answered 404/);
    await expect(resolveEdgeKey({ jwksUrl: `${base}/two.json` })).rejects.toThrow(/publishes 2 Ed25519 keys: pass the one .* --edge-key/);
    await expect(resolveEdgeKey({ jwksUrl: `${base}/none.json` })).rejects.toThrow(/publishes no Ed25519 signing key/);
    await expect(resolveEdgeKey({ jwksUrl: `${base}/not-a-set.json` })).rejects.toThrow(/is not a JWKS/);
    await expect(resolveEdgeKey({ jwk: privateJwk })).rejects.toThrow(/--edge-key holds a private key/);
    await expect(resolveEdgeKey({ jwk: { kty: "OKP", crv: "X25519", x: publicJwk.x } })).rejects.toThrow(/not an Ed25519 public JWK: crv/);
    await expect(resolveEdgeKey({ jwk: { kty: "OKP", crv: "Ed25519", x: "short" } })).rejects.toThrow(/x is not a 32-byte/);
  });
});

describe("the key file, written aside then put in place", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "federation-keys-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives callers racing on a first start one key, and leaves nothing aside", async () => {
    const keyFile = path.join(dir, "race", "peer.key");
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKey(keyFile)));
    for (const key of keys) expect(key.equals(keys[0]!)).toBe(true);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(keyFile))).toEqual(["peer.key"]);
  });

  it("lets one of racing keygens make the key and tells the others whose it is; --force replaces it", async () => {
    const keyFile = path.join(dir, "keygen", "peer.key");
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => createKey(keyFile)));
    const made = results.filter((r) => r.status === "fulfilled").map((r) => r.value);
    expect(made).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect(r.reason).toBeInstanceOf(KeyExistsError);
      expect((r.reason as KeyExistsError).peerId).toBe(made[0]);
    }
    const replaced = await createKey(keyFile, { force: true });
    expect(replaced).not.toBe(made[0]);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(keyFile))).toEqual(["peer.key"]);
  });
});

describe("npm run federation", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), "federation-cli-"));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("keygen writes the key under the config folder (0600), says where, and never replaces it without --force", async () => {
    const xdg = path.join(home, "xdg");
    const keyFile = path.join(xdg, "callback-mesh", "peer.key");
    const first = await cli(["keygen"], { HOME: home, XDG_CONFIG_HOME: xdg });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^12D3KooW\w+\n$/);
    expect(first.stderr).toContain(keyFile);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(keyFile))).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(REPO_ROOT, "peer.key"))).toBe(false);
    const bytes = await readFile(keyFile);

    const again = await cli(["keygen"], { HOME: home, XDG_CONFIG_HOME: xdg });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`${keyFile} already exists (peer id ${first.stdout.trim()}): keygen never replaces a key (a new key is a new, unregistered member); --force to do it anyway\n`);
    expect(await readFile(keyFile)).toEqual(bytes);

    const forced = await cli(["keygen", "--force"], { HOME: home, XDG_CONFIG_HOME: xdg });
    expect(forced.code).toBe(0);
    expect(forced.stdout).not.toBe(first.stdout);
    expect(await readFile(keyFile)).not.toEqual(bytes);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    // With no XDG_CONFIG_HOME, under HOME's .config.
    const plain = await cli(["keygen"], { HOME: home });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain(path.join(home, ".config", "callback-mesh", "peer.key"));
  });

  it("member names what is missing, in one line with no stack trace", async () => {
    const missing = await cli(["member", "--site", "globex"], { HOME: home });
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toBe("member needs --worker URL, --edge URL and PEER_SECRET (in the environment) (npm run federation -- --help for usage)\n");
    const noValue = await cli(["member", "--edge"], { HOME: home });
    expect(noValue).toMatchObject({ code: 2, stderr: "--edge needs a value (npm run federation -- --help for usage)\n" });
  });

  it("keygen --help and member --help print that command's usage and exit 0", async () => {
    for (const [command, flag] of [["keygen", "--help"], ["keygen", "-h"], ["member", "--help"], ["member", "-h"]] as const) {
      const help = await cli([command, flag], { HOME: home });
      expect(help, `${command} ${flag}`).toMatchObject({ code: 0, stderr: "" });
      expect(help.stdout).toMatch(new RegExp(`^Usage: npm run federation -- ${command} `));
    }
    const member = (await cli(["member", "--site", "globex", "--help"], { HOME: home })).stdout;
    expect(member).not.toContain("-- keygen");
    expect(member).toMatch(/--edge-thumbprint T is the edge key's thumbprint .*\n?.*which the federation's admin gives you/);
    expect((await cli(["keygen", "--help"], { HOME: home })).stdout).not.toContain("-- member");
  });

  it("member refuses a plain-http JWKS off loopback, and a key whose thumbprint is not the admin's", async () => {
    const env = { HOME: path.join(home, "pinned"), PEER_SECRET: "s" };
    expect((await cli(["keygen"], env)).code).toBe(0);
    const plain = await cli(["member", ...OK_ARGS.slice(0, 4), "--edge", "http://edge.example"], env);
    expect(plain).toMatchObject({ code: 2, stdout: "" });
    expect(plain.stderr).toMatch(/^will not fetch the edge's key from http:\/\/edge\.example\/\.well-known\/jwks\.json over plain http [^\n]*\n$/);

    const { publicKey } = generateKeyPairSync("ed25519");
    const jwk = publicKey.export({ format: "jwk" });
    const actual = await calculateJwkThumbprint(jwk as never, "sha256");
    const wrong = "A".repeat(43);
    const pinned = await cli(["member", ...OK_ARGS, "--edge-key", JSON.stringify(jwk), "--edge-thumbprint", wrong], env);
    expect(pinned).toMatchObject({ code: 1, stdout: "" });
    expect(pinned.stderr).toBe(`the edge's key from --edge-key has thumbprint ${actual}, not ${wrong} (--edge-thumbprint, as the admin gave it): not starting\n`);
  });

  it("member asks for keygen when there is no key, and says where the edge's key could not be read", async () => {
    const empty = path.join(home, "nobody");
    const env = { HOME: empty, PEER_SECRET: "s" };
    const noKey = await cli(["member", ...OK_ARGS], env);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^no key at .*nobody\/\.config\/callback-mesh\/peer\.key: make one with `npm run federation -- keygen`/);

    expect((await cli(["keygen"], env)).code).toBe(0);
    // Port 2 on loopback: nothing listens there, so the default JWKS cannot be fetched.
    const noEdge = await cli(["member", ...OK_ARGS], env);
    expect(noEdge.code).toBe(1);
    expect(noEdge.stderr).toMatch(/^could not read the edge's public key from http:\/\/127\.0\.0\.1:2\/\.well-known\/jwks\.json: .*--edge-key JWK\)\n$/);
  });
});

/** The CLI exactly as `npm run federation` runs it, on the pinned Node, with only the environment given. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const pinned = path.join(REPO_ROOT, "node_modules", ".bin", "node");
  return new Promise((resolve) => {
    execFile(
      existsSync(pinned) ? pinned : process.execPath,
      ["federation/node/cli.ts", ...args],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}
