/**
 * The bridge between a member's peer and its Worker (federation/node/member.ts) takes a
 * membership list only as the edge signed it, and only a newer one: a list validly signed
 * by another key, or an older list, is never handed to the peer or to the Worker. Against
 * a stand-in for the edge and the Worker (a local HTTP server that serves the list the test
 * chooses and records what the bridge posts), with a real libp2p peer on loopback. Waits
 * are on the bridge's own requests (it has polled twice since the change), never on time.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMember, type MeshMemberProcess } from "../../federation/node/member.ts";
import { signMembership, type Membership } from "../../federation/wire/membership.ts";

const keyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateJwk: privateKey.export({ format: "jwk" }) as JWK, publicJwk: publicKey.export({ format: "jwk" }) as JWK };
};
const edgeKey = keyPair();
const strangerKey = keyPair();

const list = (seq: number, sites: string[]): Membership => ({
  version: 1,
  seq,
  issuedAtMs: 1_800_000_000_000 + seq,
  members: sites.map((siteId, i) => ({
    siteId,
    peerId: `12D3KooW${"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"[i]!.repeat(44)}`,
    trust: "enterprise" as const,
    exposure: "federated" as const,
    addrs: [],
    keys: [],
  })),
});

/** The edge's list route and the Worker's routes, as the bridge meets them. */
class StandIn {
  served = "";
  gets = 0;
  readonly posted: string[] = [];
  private waiters: (() => void)[] = [];
  readonly server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/federation/membership") {
      this.gets++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jws: this.served }));
      for (const w of this.waiters.splice(0)) w();
      return;
    }
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/federation/membership") this.posted.push((JSON.parse(body) as { jws: string }).jws);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });

  /** Resolves once the bridge has read the list `n` more times: whatever it did with the list it read is done by the next read. */
  async polled(n: number): Promise<void> {
    const target = this.gets + n;
    while (this.gets < target) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

describe("the bridge's membership check", () => {
  const standIn = new StandIn();
  let member: MeshMemberProcess;
  let keyDir: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => standIn.server.listen(0, "127.0.0.1", resolve));
    const { port } = standIn.server.address() as { port: number };
    const url = `http://127.0.0.1:${port}`;
    keyDir = await mkdtemp(path.join(tmpdir(), "member-test-"));
    standIn.served = await signMembership(list(1, ["paris", "austin"]), edgeKey.privateJwk);
    member = await startMember({
      siteId: "paris",
      workerUrl: url,
      peerSecret: "member-test-secret",
      edgeUrl: url,
      edgePublicKey: edgeKey.publicJwk,
      keyFile: path.join(keyDir, "peer.key"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
      publishes: false,
      membershipPollMs: 20,
    });
  });

  afterAll(async () => {
    await member?.stop();
    await new Promise((resolve) => standIn.server.close(resolve));
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it("takes the edge's list and hands it to its Worker, as signed", async () => {
    await standIn.polled(2);
    expect(member.membership()?.seq).toBe(1);
    expect(member.membership()?.members.map((m) => m.siteId)).toEqual(["paris", "austin"]);
    expect(standIn.posted).toEqual([standIn.served]);
  });

  it("never takes a list signed by another key, however new", async () => {
    standIn.served = await signMembership(list(9, ["paris", "mallory"]), strangerKey.privateJwk);
    await standIn.polled(2);
    expect(member.membership()?.seq).toBe(1);
    expect(member.membership()?.members.map((m) => m.siteId)).not.toContain("mallory");
    expect(standIn.posted).toHaveLength(1);
  });

  it("never goes back to an older list, and takes the next newer one", async () => {
    standIn.served = await signMembership(list(0, ["paris"]), edgeKey.privateJwk);
    await standIn.polled(2);
    expect(member.membership()?.seq).toBe(1);
    expect(standIn.posted).toHaveLength(1);

    const next = await signMembership(list(2, ["paris", "austin", "manila"]), edgeKey.privateJwk);
    standIn.served = next;
    await standIn.polled(2);
    expect(member.membership()?.seq).toBe(2);
    expect(member.membership()?.members.map((m) => m.siteId)).toEqual(["paris", "austin", "manila"]);
    expect(standIn.posted).toEqual([expect.any(String), next]);
  });
});
