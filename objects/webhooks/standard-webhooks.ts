/**
 * Signing as the Standard Webhooks specification says (standardwebhooks.com): a delivery
 * carries `webhook-id` (the message's id, the same on every retry, so a receiver drops
 * repeats), `webhook-timestamp` (seconds) and `webhook-signature`, "v1," and the base64 of
 * HMAC-SHA256 over `id.timestamp.body` with the secret's bytes. A secret is "whsec_" and
 * the base64 of its bytes. Written against WebCrypto (workerd has no Node crypto here);
 * the tests check it with the specification's own TypeScript library.
 */
const encoder = new TextEncoder();
const PREFIX = "whsec_";

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unbase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** A new secret: 24 random bytes, in the specification's form. */
export function newWebhookSecret(): string {
  return PREFIX + base64(crypto.getRandomValues(new Uint8Array(24)));
}

/** Whether a secret is in the specification's form, with 24 to 64 bytes. */
export function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(PREFIX)) return false;
  try {
    const n = unbase64(secret.slice(PREFIX.length)).length;
    return n >= 24 && n <= 64;
  } catch {
    return false;
  }
}

/** The three headers of one delivery of `body` (sent as is, byte for byte). */
export async function standardWebhookHeaders(secret: string, id: string, atMs: number, body: string): Promise<Record<string, string>> {
  const timestamp = Math.floor(atMs / 1000);
  const key = await crypto.subtle.importKey("raw", unbase64(secret.slice(PREFIX.length)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestamp}.${body}`)));
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${base64(mac)}` };
}
