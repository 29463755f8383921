/**
 * The signature a carrier in Twilio's shape puts on its status callbacks
 * (`X-Twilio-Signature`, as Twilio documents it; SignalWire and others follow it): the
 * base64 of HMAC-SHA1, keyed with the account's auth token, over the full URL the carrier
 * called followed by each POST parameter's name and value, sorted by name. Written against
 * WebCrypto for workerd; the tests check it with the carrier's own helper library. The carrier
 * adapter (carrier-gateway.ts) refuses unsigned status callbacks with it.
 */
const encoder = new TextEncoder();

/** Where the carrier puts it. */
export const CARRIER_SIGNATURE_HEADER = "x-twilio-signature";

const keyOf = (authToken: string, usage: "sign" | "verify") =>
  crypto.subtle.importKey("raw", encoder.encode(authToken), { name: "HMAC", hash: "SHA-1" }, false, [usage]);
const signedData = (url: string, params: Readonly<Record<string, string>>) =>
  encoder.encode(url + Object.keys(params).sort().map((name) => name + params[name]).join(""));

/** The signature the carrier would send for this URL and these form parameters. */
export async function carrierSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await keyOf(authToken, "sign"), signedData(url, params)));
  return btoa(String.fromCharCode(...mac));
}

/** Whether `signature` is the carrier's for this URL and these parameters (WebCrypto's verify: constant time). */
export async function isCarrierSigned(authToken: string, url: string, params: Readonly<Record<string, string>>, signature: string | null): Promise<boolean> {
  if (!signature || !authToken) return false;
  let given: Uint8Array<ArrayBuffer>;
  try {
    given = Uint8Array.from(atob(signature), (ch) => ch.charCodeAt(0));
  } catch {
    return false;
  }
  return crypto.subtle.verify("HMAC", await keyOf(authToken, "verify"), given, signedData(url, params));
}
