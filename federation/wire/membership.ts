/**
 * The membership list of the federation: who may gossip, by peer id, and what each
 * member shares. The edge owns it and signs it (EdDSA, jose); peers and Workers
 * trust nothing that is not on a list signed by the edge's key.
 */
import { calculateJwkThumbprint, CompactSign, compactVerify, importJWK, type JWK } from "jose";
import { edgeKeySet } from "./edge-tokens.ts";
import { memberPublicKey } from "./member-tokens.ts";
import { z } from "zod";
import { siteIdSchema } from "./vocabulary.ts";

const siteId = siteIdSchema;

export const memberInput = z.strictObject({
  siteId,
  /** The libp2p peer id of the member's peer (base58btc, from `npm run federation -- keygen`). */
  peerId: z.string().regex(/^(12D3Koo|Qm)[1-9A-HJ-NP-Za-km-z]{40,60}$/, "not a libp2p peer id"),
  /** Where the member's GraphQL subgraph answers, for the stitched schema. */
  subgraphUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** `enterprise` sites belong to the edge's owner; `partner` sites are third parties. */
  trust: z.enum(["enterprise", "partner"]).default("enterprise"),
  /** The most a member's agents may be exposed as: a partner may keep everything public-only. */
  exposure: z.enum(["public", "federated"]).default("federated"),
  /** Multiaddrs where the member's peer listens, for others to dial. */
  addrs: z.array(z.string().max(256)).max(8).default([]),
  /**
   * The public halves of the member's own signing keys: tokens its site signs for its agents (and a partner for
   * its staff) are checked with them at the edge. Two while it rotates; none: its tokens work at its site only.
   */
  keys: z.array(memberPublicKey).max(4).default([]),
});
export type Member = z.infer<typeof memberInput>;

export const membershipSchema = z
  .strictObject({
    version: z.literal(1),
    /** Grows with every change, so an old list can never replace a newer one. */
    seq: z.number().int().min(0),
    issuedAtMs: z.number().int(),
    members: z.array(memberInput).max(500),
  })
  .meta({ id: "Membership", description: "The federation's members; `seq` grows with every change, so an older list never replaces a newer one." });
export type Membership = z.infer<typeof membershipSchema>;

const ALG = "EdDSA";

/** The list as a compact JWS signed with the edge's Ed25519 private key (a JWK), naming the key (kid: its thumbprint). */
export async function signMembership(membership: Membership, privateJwk: JWK): Promise<string> {
  const key = await importJWK(privateJwk, ALG);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(membership)))
    .setProtectedHeader({ alg: ALG, typ: "membership+jws", kid: await calculateJwkThumbprint(privateJwk) })
    .sign(key);
}

/** The list inside a signed one, or null when the signature or the shape is wrong. `keys`: one JWK, or a set while the edge rotates. */
export async function verifyMembership(jws: string, keys: JWK | { keys: JWK[] }): Promise<Membership | null> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, await edgeKeySet(keys), { algorithms: [ALG] });
    if (protectedHeader.typ !== "membership+jws") return null;
    const parsed = membershipSchema.safeParse(JSON.parse(new TextDecoder().decode(payload)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Looks a peer id up in a list: the member's site, or null for a stranger. */
export function siteOfPeer(membership: Membership | null, peerId: string): string | null {
  return membership?.members.find((m) => m.peerId === peerId)?.siteId ?? null;
}
