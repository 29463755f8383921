import { siteIdSchema } from "./vocabulary.ts";
/**
 * Who a GraphQL query is answered for. At a site it follows from the bearer token;
 * when the edge's gateway asks a site, the token the edge signed for that site names
 * the viewer it asks for, and the site draws its own boundary for that viewer.
 */

export type Viewer =
  /** admin and ops: everything. */
  | { kind: "staff" }
  /** A partner: its own site whole; of other members, what they expose to the federation (no names, nothing internal). */
  | { kind: "partner"; siteId: string }
  /** The federation: what a member exposes to the others (no names, nothing internal). */
  | { kind: "mesh" };

export function encodeViewer(viewer: Viewer): string {
  return viewer.kind === "partner" ? `partner:${viewer.siteId}` : viewer.kind;
}

export function decodeViewer(raw: string | null | undefined): Viewer | null {
  if (raw === "staff" || raw === "mesh") return { kind: raw };
  const partner = raw?.startsWith("partner:") ? raw.slice("partner:".length) : null;
  return partner && siteIdSchema.safeParse(partner).success ? { kind: "partner", siteId: partner } : null;
}

/** Whether the viewer sees a site whole (names, internal resources, reservations). */
export function seesWhole(viewer: Viewer, siteId: string): boolean {
  return viewer.kind === "staff" || (viewer.kind === "partner" && viewer.siteId === siteId);
}
