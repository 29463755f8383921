/**
 * The edge Worker: the mesh's single global endpoint. The callback cloud, the
 * federated schema and the pages arrive here in later issues; for now it answers
 * who it is, in the same error shape as every Worker.
 */
import { Hono } from "hono";
import { notFound, onError } from "../shared/errors.ts";

export interface EdgeEnv {
  MESH_ADMIN_TOKEN: string;
}

const app = new Hono<{ Bindings: EdgeEnv }>();
app.onError(onError);
app.notFound(notFound);
app.get("/", (c) => c.json({ service: "callback-mesh edge" }));
app.get("/healthz", (c) => c.json({ ok: true }));

export default app;
