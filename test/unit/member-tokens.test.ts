import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { publicHalf, signMemberToken, verifyMemberToken } from "../../federation/wire/member-tokens.ts";

const NOW = Date.parse("2030-01-09T16:00:00Z");
const newKey = async () => JSON.stringify(await exportJWK((await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true })).privateKey));
const REF = "r_0123456789abcdef0123";

describe("member tokens", () => {
  it("are checked with the keys the member registered, by issuer and key id; a second key rotates without a gap", async () => {
    const [paris, next, austin] = await Promise.all([newKey(), newKey(), newKey()]);
    const { token } = await signMemberToken(paris, { siteId: "paris", role: "agent", subject: "ana", ref: REF }, 3600, NOW);
    const keys = [await publicHalf(paris)];
    expect(await verifyMemberToken(token, "paris", keys, NOW)).toEqual({ siteId: "paris", role: "agent", subject: "ana", ref: REF });
    // While Paris rotates it lists both keys: tokens of either are good.
    const rotating = [await publicHalf(paris), await publicHalf(next)];
    const fresh = (await signMemberToken(next, { siteId: "paris", role: "agent", subject: "ana", ref: REF }, 3600, NOW)).token;
    expect(await verifyMemberToken(token, "paris", rotating, NOW)).not.toBeNull();
    expect(await verifyMemberToken(fresh, "paris", rotating, NOW)).not.toBeNull();
    // Checked as another member's, with another's keys, or with none: refused.
    expect(await verifyMemberToken(token, "austin", keys, NOW)).toBeNull();
    expect(await verifyMemberToken(token, "paris", [await publicHalf(austin)], NOW)).toBeNull();
    expect(await verifyMemberToken(token, "paris", [], NOW)).toBeNull();
  });

  it("expire, live at most 30 days, and speak for their own site only", async () => {
    const paris = await newKey();
    const keys = [await publicHalf(paris)];
    const agent = (ttl: number) => signMemberToken(paris, { siteId: "paris", role: "agent", subject: "ana", ref: REF }, ttl, NOW);
    expect(await verifyMemberToken((await agent(3600)).token, "paris", keys, NOW + 3_600_000 + 31_000)).toBeNull();
    expect(await verifyMemberToken((await agent(31 * 86_400)).token, "paris", keys, NOW)).toBeNull();
    expect(await verifyMemberToken((await agent(30 * 86_400)).token, "paris", keys, NOW)).not.toBeNull();
    const own = await signMemberToken(paris, { siteId: "paris", role: "partner", subject: "paris" }, 3600, NOW);
    expect(await verifyMemberToken(own.token, "paris", keys, NOW)).toMatchObject({ role: "partner", subject: "paris" });
    const other = await signMemberToken(paris, { siteId: "paris", role: "partner", subject: "austin" }, 3600, NOW);
    expect(await verifyMemberToken(other.token, "paris", keys, NOW)).toBeNull();
    // An agent the cloud cannot know (no ref) is nobody.
    const noRef = await signMemberToken(paris, { siteId: "paris", role: "agent", subject: "ana" }, 3600, NOW);
    expect(await verifyMemberToken(noRef.token, "paris", keys, NOW)).toBeNull();
  });

  it("register the public half only", async () => {
    const half = await publicHalf(await newKey());
    expect(Object.keys(half).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
  });
});
