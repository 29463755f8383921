/**
 * Every operation of the /openapi.json the site serves, called as every caller the site
 * knows: a role in the operation's `x-roles` is let through (whatever else it answers, never
 * a 5xx), any other is refused in the error shape: 403 for a token of another role, 401 for
 * none or a bad one (test/workers/route-matrix.ts).
 * The operations are the document's; this file says only how to be each caller and how to
 * fill each path parameter.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Contract, type OpenApiDocument } from "../contract-check.ts";
import { fillPath, misjudged, operationsOf, unknowns, type Caller } from "../route-matrix.ts";
import { ADMIN, agentToken, api, CLOUD, PEER, putAgent, report, useClock } from "./helpers.ts";

/** What setup makes: the ids path parameters take, and the tokens the site issued. */
interface World {
  ana: { id: string; ref: string };
  reservationId: string;
  tokens: { ops: string; agent: string; partner: string };
}

/** Every caller, and its bearer token (null: none). Roles the site does not know (customer, provider) are the edge's. */
const CALLERS: (Caller & { token: (w: World) => string | null })[] = [
  { name: "anonymous", role: null, scheme: null, token: () => null },
  { name: "a token the site never issued", role: null, scheme: "bearer", forged: true, token: () => "not-a-token-of-this-site" },
  { name: "peer", role: "peer", scheme: "bearer", token: () => PEER },
  { name: "cloud", role: "cloud", scheme: "bearer", token: () => CLOUD },
  { name: "partner", role: "partner", scheme: "bearer", token: (w) => w.tokens.partner },
  { name: "agent (ana)", role: "agent", scheme: "bearer", token: (w) => w.tokens.agent },
  { name: "ops", role: "ops", scheme: "bearer", token: (w) => w.tokens.ops },
  { name: "admin", role: "admin", scheme: "bearer", token: () => ADMIN },
];

/** Each path parameter the document may name, and its value: real ids, so that the roles let through reach the roster. */
const PATH_PARAMETERS: Record<string, (w: World) => string> = {
  // The agent's own id: an agent may act on its own record only (another's is 403, not what this checks).
  agentId: (w) => w.ana.id,
  reservationId: (w) => w.reservationId,
};

async function setup(): Promise<World> {
  await useClock();
  const ana = await putAgent("ana");
  await report("ana", "available");
  const reserved = await api("POST", "/federation/reservations", {
    callbackId: "cb_matrix",
    skill: "appliance_repair",
    channel: "voice",
    start: "2030-01-09T09:15:00.000Z",
    end: "2030-01-09T09:30:00.000Z",
    agentId: ana.ref,
  });
  if (reserved.status !== 201) throw new Error(`reserve: ${reserved.status} ${reserved.text}`);
  const issue = async (body: object) => (await api("POST", "/v1/tokens", body)).body.token as string;
  return {
    ana,
    reservationId: reserved.body.id,
    tokens: { ops: await issue({ role: "ops", name: "matrix" }), agent: await agentToken("ana"), partner: await issue({ role: "partner", partnerId: "globex" }) },
  };
}

// The document the Worker under test serves, read when the file is collected: one test per operation it lists.
const served = (await (await SELF.fetch("http://paris.test/openapi.json")).json()) as OpenApiDocument;
const contract = new Contract(served);
const operations = operationsOf(served);

describe("the site's role × route matrix, from the /openapi.json it serves", () => {
  it("has operations to walk", () => {
    expect(operations.length).toBeGreaterThan(20);
  });

  for (const operation of operations) {
    it(operation.label, async () => {
      expect(unknowns(operation, CALLERS), `${operation.label}: the matrix cannot judge it`).toEqual([]);
      const world = await setup();
      const path = fillPath(operation, Object.fromEntries(Object.entries(PATH_PARAMETERS).map(([name, fill]) => [name, fill(world)])));
      // Bodies are empty: a 400 is an answer like any other to a role let through; refusals come before the body is read.
      const body = "requestBody" in operation.op ? {} : undefined;
      const wrong: string[] = [];
      for (const caller of CALLERS) {
        const problem = misjudged(operation, caller, await api(operation.method.toUpperCase(), path, body, caller.token(world)), contract);
        if (problem) wrong.push(problem);
      }
      expect(wrong, `${operation.label}: answers that break its x-roles`).toEqual([]);
    });
  }
});
