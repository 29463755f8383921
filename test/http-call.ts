/**
 * One HTTP call as every test makes it, in workerd or in Node: a JSON body (or a string
 * sent as is), an optional bearer token, and the answer read once, as text and as JSON
 * when it is JSON.
 */
export interface Call {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export async function httpCall(
  fetcher: { fetch: typeof fetch },
  url: string,
  method: string,
  body?: unknown,
  token?: string | null,
  headers: Record<string, string> = {},
): Promise<Call> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    h["content-type"] ??= "application/json";
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await fetcher.fetch(url, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/**
 * One GraphQL operation over HTTP as every test sends it: POST, JSON, asking for
 * `application/graphql-response+json` (GraphQL over HTTP), with a bearer token if given.
 */
export function graphqlCall(
  fetcher: { fetch: typeof fetch },
  url: string,
  query: string,
  options: { token?: string | null; variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<Call> {
  const body = options.variables ? { query, variables: options.variables } : { query };
  return httpCall(fetcher, url, "POST", body, options.token, { accept: "application/graphql-response+json", ...options.headers });
}
