/**
 * The GraphQL contract without a runtime: the generated resolver types and the
 * printed federated schema are current with the SDL, the federated schema keeps
 * API.md's fixed names, the limits measure what they say, and mesh availability
 * counts agents from digests.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { buildSchema, getIntrospectionQuery, GraphQLSchema, parse, printType, validate, specifiedRules } from "graphql";
import { describe, expect, it } from "vitest";
import type { Digest } from "../../federation/wire/digest.ts";
import { meshSlots } from "../../federation/runtime/gateway/mesh-availability.ts";
import { federatedSchema, generate, TARGETS } from "../../schema/codegen.ts";
import { DEFAULT_LIMITS, limitsRule, operationCost } from "../../federation/runtime/graphql/limits.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("the GraphQL contract", () => {
  it("has generated resolver types and a printed federated schema that match the SDL (npm run codegen)", async () => {
    for (const target of TARGETS) {
      const { types, printed } = await generate(target);
      expect(await readFile(path.join(ROOT, target.out), "utf8"), `${target.out}: run npm run codegen`).toBe(types);
      if (target.printTo) expect(await readFile(path.join(ROOT, target.printTo), "utf8"), `${target.printTo}: run npm run codegen`).toBe(printed);
    }
  });

  it("keeps the root fields and types API.md fixes, with upper-case enum values", async () => {
    const schema = await federatedSchema();
    const query = schema.getQueryType()!.getFields();
    const sig = (name: string) => `${name}(${query[name].args.map((a) => `${a.name}: ${a.type}`).join(", ")}): ${query[name].type}`;
    expect(sig("sites")).toBe("sites(): [Site!]!");
    expect(sig("site")).toBe("site(id: ID!): Site");
    expect(sig("agents")).toMatch(/^agents\(skill: String, state: AgentState, .*first: Int, after: String\): \[Agent!\]!$/);
    expect(sig("callback")).toBe("callback(confirmation: ID!): Callback");
    expect(sig("callbacks")).toMatch(/^callbacks\(status: CallbackStatus, .*first: Int, after: String\): CallbackConnection!$/);
    expect(sig("mesh")).toBe("mesh(): Mesh!");
    // The gateway's own look-ups are not part of the public schema.
    expect(Object.keys(query).filter((f) => f.startsWith("_"))).toEqual([]);
    const fields = (type: string) => Object.fromEntries(Object.entries((schema.getType(type) as any).getFields()).map(([k, f]: [string, any]) => [k, String(f.type)]));
    expect(fields("Site")).toMatchObject({ id: "ID!", health: "String!", agents: "[Agent!]!" });
    expect(fields("Agent")).toMatchObject({ id: "ID!", site: "Site!", state: "AgentState!", skills: "[Skill!]!", expectedAvailableAt: "String", callbacks: "[Callback!]!" });
    expect(fields("Skill")).toMatchObject({ name: "String!", level: "Int!" });
    expect(fields("Callback")).toMatchObject({ confirmation: "ID!", status: "CallbackStatus!", scheduledFor: "String", channel: "String", agent: "Agent", history: "[Event!]!" });
    expect(fields("Mesh")).toMatchObject({ self: "String!", members: "[Member!]!" });
    expect(fields("Member")).toMatchObject({ siteId: "ID!", peerId: "String", health: "String!", seq: "Int", digestAgeMs: "Int" });
    expect(printType(schema.getType("AgentState")!)).toContain("ON_CALL");
    for (const type of Object.values(schema.getTypeMap())) {
      if ("getValues" in type && !type.name.startsWith("__")) for (const v of type.getValues()) expect(v.name).toBe(v.name.toUpperCase());
    }
  });
});

describe("query limits", () => {
  let schema: GraphQLSchema;
  const check = (query: string) => validate(schema, parse(query), [...specifiedRules, limitsRule()]).map((e) => e.extensions);

  it("let the standard introspection query and an ops query through", async () => {
    schema = await federatedSchema();
    expect(check(getIntrospectionQuery())).toEqual([]);
    expect(check("{ agents { id state site { id } callbacks { confirmation status scheduledFor } } }")).toEqual([]);
    // Introspection has a depth limit of its own, just above what the standard query needs.
    // (graphql-js's own rule already refuses nesting `fields` in `fields` more than thrice.)
    const tooDeep = `{ __type(name: "Agent") { fields { type { ${"ofType { ".repeat(13)}name${" }".repeat(13)} } } } }`;
    expect(check(tooDeep)).toEqual([{ code: "query_too_deep", details: { depth: 17, maxDepth: 15 } }]);
  });

  it("count depth, aliases (in fragments too) and cost by page size", async () => {
    schema ??= await federatedSchema();
    const deep = check("{ sites { agents(first: 1) { site { agents(first: 1) { site { agents(first: 1) { site { agents(first: 1) { site { agents(first: 1) { site { agents(first: 1) { id } } } } } } } } } } } } }");
    expect(deep).toContainEqual({ code: "query_too_deep", details: { depth: 13, maxDepth: DEFAULT_LIMITS.maxDepth } });
    const aliases = `{ ...F } fragment F on Query { ${Array.from({ length: 31 }, (_, i) => `m${i}: mesh { self }`).join(" ")} }`;
    expect(check(aliases)).toEqual([{ code: "too_many_aliases", details: { aliases: 31, maxAliases: 30 } }]);
    // 1 + 100 × (1 + 20 × (1 + 1)) = 4101: the page sizes asked, or the schema's defaults.
    expect(check("{ agents(first: 100) { callbacks { confirmation } } }")).toEqual([]);
    expect(check("{ agents(first: 100) { callbacks(first: 100) { history(first: 100) { at } } } }")).toEqual([
      { code: "query_too_costly", details: { cost: 1 + 100 * (1 + 100 * (1 + 100)), maxCost: DEFAULT_LIMITS.maxCost } },
    ]);
    // A page given by a variable counts as the page it gives, when the operation starts (validated, it is not known yet).
    const byVariable = "query($n: Int) { agents(first: $n) { callbacks(first: $n) { history(first: $n) { at } } } }";
    expect(check(byVariable)).toEqual([]);
    expect(operationCost(schema, parse(byVariable), undefined, { n: 100 }).errors[0]?.extensions?.code).toBe("query_too_costly");
  });

  it("measure a fragment spread twice at every level once, not 2^n times", async () => {
    schema ??= await federatedSchema();
    // F0 spreads F1 twice, F1 spreads F2 twice, … 30 levels: 2^30 walks unmemoised.
    const levels = 30;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Mesh { self a${i}: self }` : `fragment F${i} on Mesh { ...F${i + 1} ...F${i + 1} }`,
    );
    // Unmemoised this would run for hours: the test's own timeout is the bound.
    const errors = check(`{ mesh { ...F0 } } ${fragments.join(" ")}`);
    // The alias at the bottom counts once per path that reaches it.
    expect(errors).toContainEqual({ code: "too_many_aliases", details: { aliases: 2 ** (levels - 1), maxAliases: DEFAULT_LIMITS.maxAliases } });
  });
});

describe("mesh availability from digests", () => {
  const T = Date.parse("2030-01-09T16:00:00Z");
  const M = 60_000;
  const agent = (over: Partial<Digest["agents"][number]>): Digest["agents"][number] => ({
    ref: "r_00000000000000000000",
    skills: { appliance_repair: 4 },
    channels: ["voice"],
    languages: ["en"],
    state: "available",
    expectedAvailableAtMs: T,
    capacity: 1,
    freeCapacity: 1,
    free: [[T, null]],
    ...over,
  });
  const digest = (siteId: string, agents: Digest["agents"]): Digest => ({ version: 1, siteId, seq: 1, issuedAtMs: T, ttlMs: 4000, agents, skills: {} });

  it("counts, per slot and site, the agents with the skill and channel free over the whole slot", () => {
    const slots = meshSlots(
      [
        digest("paris", [agent({}), agent({ free: [[T + 15 * M, T + 30 * M]] }), agent({ skills: { appliance_repair: 2 } })]),
        digest("austin", [agent({ channels: ["sms"] }), agent({ free: [[T, T + 20 * M]] })]),
      ],
      { skill: "appliance_repair", minLevel: 3, channel: "voice", fromMs: T + 5 * M, toMs: T + 45 * M, slotMs: 15 * M },
    );
    expect(slots.map((s) => [new Date(s.startMs).toISOString().slice(11, 16), s.agents, s.bySite])).toEqual([
      ["16:00", 2, [{ siteId: "austin", agents: 1 }, { siteId: "paris", agents: 1 }]],
      ["16:15", 2, [{ siteId: "paris", agents: 2 }]],
      ["16:30", 1, [{ siteId: "paris", agents: 1 }]],
    ]);
  });
});

// A site's SDL parses on its own too (what each site serves).
it("serves a site subgraph that stands alone", async () => {
  expect(buildSchema(await readFile(path.join(ROOT, "schema/site.graphql"), "utf8")).getQueryType()?.getFields()).toHaveProperty("agents");
});
