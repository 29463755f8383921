/** The query page's schema browser: the schema's object types and their fields, by introspection; a type name opens that type. */
import { useState } from "preact/hooks";
import { html } from "../shared/html.ts";

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface Field {
  name: string;
  description: string | null;
  args: { name: string; type: TypeRef }[];
  type: TypeRef;
}
export type SchemaTypes = Map<string, { description: string | null; fields: Field[] }>;

const REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
const INTROSPECTION = `{ __schema { types { name kind description fields { name description args { name type { ${REF} } } type { ${REF} } } } } }`;

export async function loadSchema(call: (body: unknown) => Promise<unknown>): Promise<SchemaTypes> {
  const answer = (await call({ query: INTROSPECTION })) as {
    data?: { __schema: { types: { name: string; kind: string; description: string | null; fields: Field[] | null }[] } };
  };
  const types: SchemaTypes = new Map();
  for (const t of answer.data?.__schema.types ?? []) {
    if (t.kind === "OBJECT" && !t.name.startsWith("__") && t.fields) types.set(t.name, { description: t.description, fields: t.fields });
  }
  return types;
}

const named = (t: TypeRef): string => (t.name ? t.name : t.ofType ? named(t.ofType) : "?");
const shown = (t: TypeRef): string => (t.kind === "NON_NULL" && t.ofType ? `${shown(t.ofType)}!` : t.kind === "LIST" && t.ofType ? `[${shown(t.ofType)}]` : (t.name ?? "?"));

export function SchemaBrowser(props: { types: SchemaTypes }) {
  const [current, setCurrent] = useState("Query");
  const type = props.types.get(current);
  return html`<section class="card" aria-labelledby="schema-title">
    <h2 id="schema-title">Schema: ${current}</h2>
    ${type?.description ? html`<p class="muted">${type.description}</p>` : null}
    <ul class="fields">
      ${(type?.fields ?? []).map(
        (f) => html`<li>
          ${f.name}${f.args.length ? `(${f.args.map((a) => `${a.name}: ${shown(a.type)}`).join(", ")})` : ""}:
          ${props.types.has(named(f.type))
            ? html`<button type="button" class="link" onClick=${() => setCurrent(named(f.type))} aria-label=${`open type ${named(f.type)}`}>${shown(f.type)}</button>`
            : shown(f.type)}
          ${f.description ? html` <span class="muted"># ${f.description}</span>` : null}
        </li>`,
      )}
    </ul>
    ${current !== "Query" ? html`<p><button type="button" class="secondary" onClick=${() => setCurrent("Query")}>Back to Query</button></p>` : null}
  </section>`;
}
