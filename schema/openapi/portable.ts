/**
 * The contract as committed: a Worker's live /openapi.json less where it was served
 * from. Each node names its own origin in `servers`; the committed document (and
 * the types generated from it) say only "wherever you fetched this from".
 */
export const PORTABLE_SERVERS = [{ url: "/", description: "The node this document was fetched from: its live /openapi.json names its origin." }];

export function portable<T extends object>(doc: T): T & { servers: typeof PORTABLE_SERVERS } {
  return { ...doc, servers: PORTABLE_SERVERS };
}

/** How the committed documents are written: two-space JSON and a final newline, so diffs read well. */
export const documentText = (doc: object): string => `${JSON.stringify(doc, null, 2)}\n`;
