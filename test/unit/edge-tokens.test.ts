import { exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { CLOUD_TOKEN_LIFETIME_S, cloudTokenFor, signCloudToken, verifyCloudToken } from "../../federation/wire/edge-tokens.ts";
import { signMembership, verifyMembership, type Membership } from "../../federation/wire/membership.ts";

async function keyPair(): Promise<{ privateJwk: string; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return { privateJwk: JSON.stringify(await exportJWK(privateKey)), publicJwk: await exportJWK(publicKey) };
}

const T = Date.parse("2030-01-09T16:00:00Z");
const list: Membership = { version: 1, seq: 3, issuedAtMs: T, members: [] };

describe("the edge's tokens for one site", () => {
  it("are good at that site only, for five minutes, and carry the viewer they name", async () => {
    const edge = await keyPair();
    const keys = JSON.stringify(edge.publicJwk);
    const token = await signCloudToken(edge.privateJwk, "paris", { kind: "partner", siteId: "globex" }, T);
    expect(await verifyCloudToken(token, keys, "paris", T)).toEqual({ viewer: { kind: "partner", siteId: "globex" } });
    expect(await verifyCloudToken(token, keys, "austin", T)).toBeNull();
    expect(await verifyCloudToken(token, keys, "paris", T + (CLOUD_TOKEN_LIFETIME_S + 60) * 1000)).toBeNull();
    // A token from a clock far ahead is no better than an old one.
    expect(await verifyCloudToken(await signCloudToken(edge.privateJwk, "paris", null, T + 3_600_000), keys, "paris", T)).toBeNull();
    expect(await verifyCloudToken(await signCloudToken(edge.privateJwk, "paris", null, T), keys, "paris", T)).toEqual({ viewer: null });
    // Settings that are not keys verify nothing.
    expect(await verifyCloudToken(token, "not json", "paris", T)).toBeNull();
    expect(await verifyCloudToken(token, undefined, "paris", T)).toBeNull();
  });

  it("are reused while good for more than a minute, and signed anew once the edge's clock stepped back past one", async () => {
    const edge = await keyPair();
    const keys = JSON.stringify(edge.publicJwk);
    const first = await cloudTokenFor(edge.privateJwk, "paris", null, T);
    expect(await cloudTokenFor(edge.privateJwk, "paris", null, T + 200_000)).toBe(first);
    expect(await cloudTokenFor(edge.privateJwk, "paris", null, T + (CLOUD_TOKEN_LIFETIME_S - 30) * 1000)).not.toBe(first);
    // Ten minutes back: what it signed "later" would carry a time the sites have not reached.
    const back = T - 600_000;
    const resigned = await cloudTokenFor(edge.privateJwk, "paris", null, back);
    expect(await verifyCloudToken(resigned, keys, "paris", back)).toEqual({ viewer: null });
  });

  it("rotate without downtime: a site holding the old and the new key takes both, then only the new", async () => {
    const old = await keyPair();
    const next = await keyPair();
    const both = JSON.stringify({ keys: [old.publicJwk, next.publicJwk] });
    const fromOld = await signCloudToken(old.privateJwk, "paris", null, T);
    const fromNext = await signCloudToken(next.privateJwk, "paris", { kind: "staff" }, T);
    expect(await verifyCloudToken(fromOld, both, "paris", T)).toEqual({ viewer: null });
    expect(await verifyCloudToken(fromNext, both, "paris", T)).toEqual({ viewer: { kind: "staff" } });
    const nextOnly = JSON.stringify({ keys: [next.publicJwk] });
    expect(await verifyCloudToken(fromOld, nextOnly, "paris", T)).toBeNull();
    expect(await verifyCloudToken(fromNext, nextOnly, "paris", T)).not.toBeNull();

    // Membership lists too: signed with either key, believed while both are held.
    expect(await verifyMembership(await signMembership(list, JSON.parse(old.privateJwk)), { keys: [old.publicJwk, next.publicJwk] })).toEqual(list);
    expect(await verifyMembership(await signMembership(list, JSON.parse(next.privateJwk)), { keys: [old.publicJwk, next.publicJwk] })).toEqual(list);
    expect(await verifyMembership(await signMembership(list, JSON.parse(old.privateJwk)), next.publicJwk)).toBeNull();
  });
});
