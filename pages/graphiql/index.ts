/**
 * The query page (/graphiql): a GraphQL editor for the federated schema with the
 * person's own token, its answer, and a schema browser read by introspection. An
 * equivalent of GraphiQL in a few kilobytes: GraphiQL itself would be 300 KB or more of
 * React and editor for the same job here.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, callApi } from "../shared/api.ts";
import { html } from "../shared/html.ts";
import { mountPage, TokenGate, type SignOut } from "../shared/session.ts";
import { SchemaBrowser, type SchemaTypes, loadSchema } from "./schema-browser.ts";

const QUERY_KEY = "callback-graphiql-query";
const FIRST_QUERY = `# The federated schema: every member's subgraph stitched with the cloud's.
{
  mesh { self members { siteId health digestAgeMs agents { total available } } }
  sites { id health agents(first: 5) { id state skills { name level } } }
}`;

function QueryPage(props: { token: string; onSignOut: (why: string | null) => void }) {
  const [query, setQuery] = useState(() => sessionStorage.getItem(QUERY_KEY) ?? FIRST_QUERY);
  const [variables, setVariables] = useState("");
  const [result, setResult] = useState<string>("");
  const [running, setRunning] = useState(false);
  const [schema, setSchema] = useState<SchemaTypes | null>(null);

  const call = useCallback(
    (body: unknown) =>
      callApi<unknown>(location.origin, "/graphql", { token: props.token, body, headers: { accept: "application/graphql-response+json, application/json" } }),
    [props.token],
  );

  useEffect(() => {
    loadSchema(call).then(setSchema, () => setSchema(null));
  }, [call]);

  const run = async () => {
    setRunning(true);
    sessionStorage.setItem(QUERY_KEY, query);
    try {
      const vars = variables.trim() ? (JSON.parse(variables) as Record<string, unknown>) : undefined;
      setResult(JSON.stringify(await call({ query, ...(vars ? { variables: vars } : {}) }), null, 2));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) props.onSignOut("Your token is no longer valid: sign in again.");
      else if (err instanceof SyntaxError) setResult(`Variables are not JSON: ${err.message}`);
      else setResult(err instanceof ApiError ? JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } }, null, 2) : String(err));
    } finally {
      setRunning(false);
    }
  };

  return html`<header class="bar">
      <h1>GraphQL</h1>
      <span class="muted">POST /graphql with your token · Ctrl+Enter runs</span>
      <button type="button" class="secondary" onClick=${() => props.onSignOut(null)}>Sign out</button>
    </header>
    <main>
      <div class="split">
        <section class="card" aria-labelledby="query-title">
          <h2 id="query-title">Query</h2>
          <label for="query" class="sr-only">Query</label>
          <textarea id="query" class="code" aria-label="Query" spellcheck="false" value=${query}
            onInput=${(e: Event) => setQuery((e.target as HTMLTextAreaElement).value)}
            onKeyDown=${(e: KeyboardEvent) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void run();
              }
            }}></textarea>
          <label for="variables">Variables (JSON)</label>
          <textarea id="variables" class="code" style="min-height:4rem" spellcheck="false" value=${variables}
            onInput=${(e: Event) => setVariables((e.target as HTMLTextAreaElement).value)}></textarea>
          <p><button type="button" onClick=${() => void run()} disabled=${running}>${running ? "Running…" : "Run query"}</button></p>
        </section>
        <section class="card" aria-labelledby="result-title">
          <h2 id="result-title">Result</h2>
          <pre aria-live="polite" data-testid="result">${result || "Run a query to see its answer here."}</pre>
        </section>
      </div>
      ${schema ? html`<${SchemaBrowser} types=${schema} />` : null}
    </main>`;
}

mountPage(
  () => html`<${TokenGate} storageKey="callback-graphiql-token" title="GraphQL query page"
    hint="Paste an ops token (POST /v1/tokens at the edge, role ops) or the admin token."
    page=${(token: string, signOut: SignOut) => html`<${QueryPage} token=${token} onSignOut=${signOut} />`} />`,
);
