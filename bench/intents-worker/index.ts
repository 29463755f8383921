/**
 * The intent engine inside workerd, for `npm run bench -- intents`: trains the engine on the
 * acme fixture once per isolate, then `GET /analyze?n=N` runs N analyses of the labelled
 * reasons of both sets (in turn) and answers how many found a known intent. `GET /healthz` is 200 (and trains).
 */
import acme from "../../examples/providers/acme.json" with { type: "json" };
import first from "../../test/fixtures/intent-reasons.json" with { type: "json" };
import holdout from "../../test/fixtures/intent-reasons-holdout.json" with { type: "json" };
import { trainIntentEngine, UNKNOWN_INTENT, type IntentEngine } from "../../objects/callback-cloud/intents.ts";
import { providerRegistration } from "../../objects/callback-cloud/provider.ts";

const reasons = [...first, ...holdout];
let engine: IntentEngine | undefined;
const trained = () => (engine ??= trainIntentEngine(providerRegistration.parse(acme).intents));

export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") {
      trained();
      return Response.json({ ok: true });
    }
    if (url.pathname !== "/analyze") return Response.json({ error: { code: "not_found" } }, { status: 404 });
    const n = Number(url.searchParams.get("n") ?? "0");
    if (!Number.isInteger(n) || n < 0 || n > 1_000_000) return Response.json({ error: { code: "bad_n" } }, { status: 400 });
    const e = trained();
    let known = 0;
    for (let i = 0; i < n; i++) if (e.analyze(reasons[i % reasons.length].text).intent.name !== UNKNOWN_INTENT) known++;
    return Response.json({ n, known });
  },
} satisfies ExportedHandler;
