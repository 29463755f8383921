/**
 * The edge Worker: the mesh's single global endpoint. A thin edge over the
 * callback cloud objects: it validates, authorizes and calls.
 */
import { docsPage } from "../shared/docs.ts";
import { workerApp } from "../shared/openapi.ts";
import { edgeAuth, type EdgeApp } from "./app-types.ts";
import { CUSTOMER_PATHS, customerCors } from "./cors.ts";
import { publishEdgeContract } from "./contract.ts";
import { callbacks } from "./routes/callbacks.ts";
import { carrier } from "./routes/carrier.ts";
import { desk, deskLive } from "./routes/desk.ts";
import { pages } from "./routes/pages.ts";
import { stats } from "./routes/stats.ts";
import { directory } from "./routes/directory.ts";
import { interactions } from "./routes/interactions.ts";
import { keys } from "./routes/keys.ts";
import { media } from "./routes/media.ts";
import { members, signedMembership } from "./routes/members.ts";
import { federationInbound, meshStatus } from "../shared/mesh-routes.ts";
import { serveCloudGraph, serveFederatedGraph } from "./graphql/server.ts";
import { serveMcp } from "./routes/mcp.ts";
import { providers } from "./routes/providers.ts";
import { tokens } from "./routes/tokens.ts";
import { webhooks } from "./routes/webhooks.ts";

export { CallbackProvider } from "../../objects/callback-cloud/callback-provider.ts";
export { CallbackShard } from "../../objects/callback-cloud/callback-shard.ts";
export { Directory } from "../../objects/directory/directory.ts";
export { SimulatedMediaServer } from "../../objects/media-server/simulated-media-server.ts";
export { CarrierGateway } from "../../objects/media-server/carrier-gateway.ts";
export { MeshView } from "../../objects/mesh-view/mesh-view.ts";
export { RateLimiter } from "../../objects/rate-limiter/rate-limiter.ts";
export { CostLimiter } from "../../objects/rate-limiter/cost-limiter.ts";
export { DeskFeed } from "../../objects/desk-feed/desk-feed.ts";
export { WebhookOutbox } from "../../objects/webhooks/webhook-outbox.ts";

/** A provider registration with a hundred intents of examples fits; nothing a customer sends comes near. */
const MAX_BODY_BYTES = 256 * 1024;

const app = workerApp<EdgeApp>(edgeAuth, MAX_BODY_BYTES);
for (const path of CUSTOMER_PATHS) app.use(path, customerCors());

app.get("/", (c) => c.json({ service: "callback-mesh edge", openapi: "/openapi.json", docs: "/docs" }));
app.get("/healthz", (c) => c.json({ ok: true }));
app.route("/v1/providers", providers);
app.route("/v1/providers", webhooks);
app.route("/v1/interactions", interactions);
app.route("/v1/directory", directory);
app.route("/v1/callbacks", callbacks);
app.route("/v1/tokens", tokens);
// Before the desk's routes: the live feed is a WebSocket upgrade, with its token in a subprotocol.
app.get("/v1/desk/live", (c) => deskLive(c.req.raw, c.env));
app.route("/v1/desk", desk);
app.route("/v1/media", media);
app.route("/v1/carrier", carrier);
app.route("/v1/mesh", meshStatus<EdgeApp>());
app.route("/v1/stats", stats);
app.route("/v1/federation/members", members);
app.route("/federation", federationInbound<EdgeApp>());
app.route("/federation", signedMembership);
app.route("/.well-known", keys);
// GraphQL over HTTP (GET and POST; yoga answers other methods with 405): the federated schema, and the cloud's subgraph alone.
app.all("/graphql", (c) => serveFederatedGraph(c));
app.all("/graphql/cloud", (c) => serveCloudGraph(c));
// MCP for assistants (Streamable HTTP): the customer's routes as tools, each tool call a call to the route itself.
app.all("/mcp", (c) => serveMcp(c, app));
// The contract at /openapi.json (workers/edge/contract.ts): every route above, its roles, and the webhook the edge sends.
publishEdgeContract(app);
app.get("/docs", (c) => c.html(docsPage("Callback mesh API")));
// The pages: /desk, /console, /graphiql, /demo/widget (their scripts are static assets).
app.route("/", pages);

export default app;
