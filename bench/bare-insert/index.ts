/**
 * The bare-insert baseline: nothing but the Worker -> Durable Object -> SQLite path
 * the site Worker also takes, without auth, validation, state machine or availability.
 * `POST /v1/inserts/:key` stores the body under the key and answers 201; `GET /healthz` is 200.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  STORE: DurableObjectNamespace<BareStore>;
}

export class BareStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Once per object start, never per request.
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, key TEXT NOT NULL, body TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    );
  }

  /** One parameterised INSERT, nothing else. */
  async insert(key: string, body: string): Promise<number> {
    return this.ctx.storage.sql.exec("INSERT INTO items (key, body, at_ms) VALUES (?, ?, ?)", key, body, Date.now()).rowsWritten;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && pathname === "/healthz") return Response.json({ ok: true });
    const match = /^\/v1\/inserts\/([^/]+)$/.exec(pathname);
    if (request.method !== "POST" || !match) return Response.json({ error: { code: "not_found" } }, { status: 404 });
    const written = await env.STORE.getByName("bench").insert(match[1], await request.text());
    return Response.json({ ok: true, written }, { status: 201 });
  },
} satisfies ExportedHandler<Env>;
