// A provider's own telephony, as the edge's webhook media server sees it: it
// accepts dial requests and lets the test read what it was sent. A test double of
// a third party, not part of the product. It keeps every call its worker sees, across
// the tests of a file: a test picks its own out (by confirmation), never by position.
import { carrier } from "./carrier.js";

const calls = [];
// Receivers that answer 503 until healed (webhook tests): a host that starts with "flaky.".
const healed = new Set();
export default {
  async fetch(request) {
    const url = new URL(request.url);
    // A carrier's REST API (carrier.js), and its test controls.
    if (url.hostname.endsWith("carrier.test")) return carrier(request);
    if (request.method === "POST" && url.pathname === "/_heal") {
      healed.add(url.searchParams.get("host"));
      return new Response(null, { status: 204 });
    }
    if (url.hostname.startsWith("flaky.") && !healed.has(url.hostname)) {
      calls.push({ url: request.url, refused: true, headers: Object.fromEntries(request.headers), body: await request.text() });
      return new Response("down for maintenance", { status: 503 });
    }
    // A member that never answers (a site gone dark mid-request), for the gateway's timeouts.
    if (url.hostname.endsWith(".hang.test")) {
      await new Promise((resolve) => setTimeout(resolve, 30_000));
      return new Response(null, { status: 504 });
    }
    if (request.method === "GET" && url.pathname === "/_calls") return Response.json(calls);
    calls.push({
      url: request.url,
      signature: request.headers.get("x-mesh-signature"),
      idempotencyKey: request.headers.get("idempotency-key"),
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
    return new Response(null, { status: 202 });
  },
};
