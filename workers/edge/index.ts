/**
 * The edge Worker: the mesh's single global endpoint. A thin edge over the
 * callback cloud objects: it validates, authorizes and calls.
 */
import { workerApp } from "../shared/openapi.ts";
import { edgeAuth, type EdgeApp } from "./app-types.ts";
import { publishEdgeContract } from "./contract.ts";
import { callbacks } from "./routes/callbacks.ts";
import { interactions } from "./routes/interactions.ts";
import { keys } from "./routes/keys.ts";
import { media } from "./routes/media.ts";
import { members, signedMembership } from "./routes/members.ts";
import { federationInbound, meshStatus } from "../shared/mesh-routes.ts";
import { serveCloudGraph, serveFederatedGraph } from "./graphql/server.ts";
import { providers } from "./routes/providers.ts";
import { tokens } from "./routes/tokens.ts";

export { CallbackCloud } from "../../objects/callback-cloud/callback-cloud.ts";
export { Directory } from "../../objects/directory/directory.ts";
export { SimulatedMediaServer } from "../../objects/media-server/simulated-media-server.ts";
export { MeshView } from "../../objects/mesh-view/mesh-view.ts";

/** A provider registration with a hundred intents of examples fits; nothing a customer sends comes near. */
const MAX_BODY_BYTES = 256 * 1024;

const app = workerApp<EdgeApp>(edgeAuth, MAX_BODY_BYTES);

app.get("/", (c) => c.json({ service: "callback-mesh edge", openapi: "/openapi.json", docs: "/docs" }));
app.get("/healthz", (c) => c.json({ ok: true }));
app.route("/v1/providers", providers);
app.route("/v1/interactions", interactions);
app.route("/v1/callbacks", callbacks);
app.route("/v1/tokens", tokens);
app.route("/v1/media", media);
app.route("/v1/mesh", meshStatus<EdgeApp>());
app.route("/v1/federation/members", members);
app.route("/federation", federationInbound<EdgeApp>());
app.route("/federation", signedMembership);
app.route("/.well-known", keys);
// GraphQL over HTTP (GET and POST; yoga answers other methods with 405): the federated schema, and the cloud's subgraph alone.
app.all("/graphql", (c) => serveFederatedGraph(c));
app.all("/graphql/cloud", (c) => serveCloudGraph(c));
// The contract at /openapi.json (workers/edge/contract.ts): every route above, its roles, and the webhook the edge sends.
publishEdgeContract(app);
app.get("/docs", (c) =>
  c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Callback mesh API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .3em}
li{margin:.2rem 0}.m{display:inline-block;width:4.5rem;font-weight:600}</style></head><body>
<h1>Callback mesh API</h1><p>The contract as OpenAPI 3.1: <a href="/openapi.json"><code>/openapi.json</code></a>.</p><ul id="routes"></ul>
<script>fetch('/openapi.json').then(r=>r.json()).then(d=>{const ul=document.getElementById('routes');
for(const[p,ops]of Object.entries(d.paths))for(const[m,o]of Object.entries(ops)){const li=document.createElement('li');
li.innerHTML='<span class="m">'+m.toUpperCase()+'</span><code></code> ';li.querySelector('code').textContent=p;
li.append(o.summary||'');ul.append(li)}})</script></body></html>`),
);

export default app;
