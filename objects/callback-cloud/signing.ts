/**
 * HMAC signatures for webhooks in both directions (dial requests to a provider's
 * telephony, call progress back). The timestamp is signed too, so a captured
 * request cannot be replayed after the tolerance.
 */
export const SIGNATURE_HEADER = "x-mesh-signature";
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(message));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The header value: `t=<epoch ms>,v1=<hex HMAC-SHA256 of "t.body">`. */
export async function sign(secret: string, body: string, atMs: number): Promise<string> {
  return `t=${atMs},v1=${await hmacHex(secret, `${atMs}.${body}`)}`;
}

export async function verify(secret: string, body: string, header: string | null | undefined, nowMs: number): Promise<boolean> {
  const match = header ? /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) : null;
  if (!match) return false;
  const at = Number(match[1]);
  if (Math.abs(nowMs - at) > SIGNATURE_TOLERANCE_MS) return false;
  const expected = encoder.encode(await hmacHex(secret, `${at}.${body}`));
  const given = encoder.encode(match[2]);
  return expected.byteLength === given.byteLength && crypto.subtle.timingSafeEqual(expected, given);
}
