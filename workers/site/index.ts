/**
 * The site Worker: a contact center's resource manager. A thin edge over its
 * Roster object: it validates, authorizes and calls.
 */
import { docsPage } from "../shared/docs.ts";
import { federationInbound, meshStatus } from "../shared/mesh-routes.ts";
import { workerApp } from "../shared/openapi.ts";
import { siteAuth, type SiteApp } from "./app-types.ts";
import { publishSiteContract } from "./contract.ts";
import { agents } from "./routes/agents.ts";
import { availability } from "./routes/availability.ts";
import { serveSiteGraph } from "./graphql/server.ts";
import { federation } from "./routes/federation.ts";
import { tokens } from "./routes/tokens.ts";

export { Roster } from "../../objects/roster/roster.ts";
export { MeshView } from "../../objects/mesh-view/mesh-view.ts";
export { CostLimiter } from "../../objects/rate-limiter/cost-limiter.ts";

/** No request to a site needs more; a bigger one is refused before it is read. */
const MAX_BODY_BYTES = 64 * 1024;

const app = workerApp<SiteApp>(siteAuth, MAX_BODY_BYTES);

app.get("/", (c) => c.json({ service: "callback-mesh site resource manager", siteId: c.env.SITE_ID, openapi: "/openapi.json", docs: "/docs" }));
app.get("/healthz", (c) => c.json({ ok: true, siteId: c.env.SITE_ID }));
app.route("/v1/agents", agents);
app.route("/v1/availability", availability);
app.route("/v1/tokens", tokens);
app.route("/federation", federation);
app.route("/federation", federationInbound<SiteApp>());
app.route("/v1/mesh", meshStatus<SiteApp>());
// The site subgraph, GraphQL over HTTP (GET and POST; yoga answers other methods with 405).
app.all("/graphql", (c) => serveSiteGraph(c));
// The contract at /openapi.json (workers/site/contract.ts): every route above and its roles.
publishSiteContract(app);
app.get("/docs", (c) => c.html(docsPage(`Callback mesh site ${c.env.SITE_ID} API`)));

export default app;
