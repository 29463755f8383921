/**
 * Which documents the gateway plans (federation/runtime/gateway/plans.ts), and what each
 * member is sent for them: the sites' own fields under `agents`, `sites` and
 * `site` only, the client's selection as written, and the variables and fragments
 * it uses. What a plan answers is checked against stitching at the edge
 * (test/workers/edge/graphql-plans.test.ts).
 */
import { buildSchema, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { HIDDEN_ID, memberRequest, Planner } from "../../federation/runtime/gateway/plans.ts";
import { nestingOf } from "../../federation/runtime/graphql/limits.ts";
import { typeDefs } from "../../workers/site/graphql/types.generated.ts";

const planner = () => new Planner(buildSchema(typeDefs), new Set(["Site.health"]));
const planOf = (query: string, operationName?: string) => planner().planFor(parse(query), operationName);

describe("planned documents", () => {
  it("plan a query of the sites' own fields, and send each member the selection as written", () => {
    const plan = planOf("query Agents { agents(first: 100) { id siteId state skills { name level } } }");
    expect(plan?.fields.map((f) => [f.kind, f.responseKey, f.idKey, f.hiddenId])).toEqual([["agents", "agents", "id", false]]);
    expect(memberRequest(plan!, [0])).toEqual({ query: "query Agents{agents(first:100){id siteId state skills{name level}}}", variables: [] });
  });

  it("ask for each agent's id under the gateway's own key when the query does not", () => {
    const plan = planOf("{ agents { name } }")!;
    expect(plan.fields[0]).toMatchObject({ idKey: HIDDEN_ID, hiddenId: true });
    expect(memberRequest(plan, [0]).query).toBe(`{agents{name ${HIDDEN_ID}:id}}`);
  });

  it("send a member only the fields asked of it, with the variables and fragments those use", () => {
    const plan = planOf(`query Q($n: Int, $id: ID!, $unused: String) {
      a: agents(first: $n) { ...A }
      s: sites { id }
      one: site(id: $id) { agents { ...A } }
    }
    fragment A on Agent { id state }`)!;
    expect(plan.fields.map((f) => [f.kind, f.literalArgs])).toEqual([
      ["agents", false],
      ["sites", true],
      ["site", false],
    ]);
    // `sites` and `site(id)` ask each member's own `site`, under the client's key; an id only in a fragment is asked again.
    expect(memberRequest(plan, [0, 1])).toEqual({
      query: `query Q($n:Int){a:agents(first:$n){...A ${HIDDEN_ID}:id}s:site{id}}fragment A on Agent{id state}`,
      variables: ["n"],
    });
    expect(memberRequest(plan, [1])).toEqual({ query: "query Q{s:site{id}}", variables: [] });
    expect(memberRequest(plan, [0, 1, 2]).query).toBe(
      `query Q($n:Int){a:agents(first:$n){...A ${HIDDEN_ID}:id}s:site{id}one:site{agents{...A}}}fragment A on Agent{id state}`,
    );
    // Made once per set of fields.
    expect(memberRequest(plan, [1])).toBe(memberRequest(plan, [1]));
  });

  it("leave to stitching what a site cannot answer alone, or what the plan does not foresee", () => {
    for (const query of [
      "{ sites { id health } }", // the gateway's own answer
      "{ agents { id callbacks { confirmation } } }", // the cloud's
      "{ agents { ...F } } fragment F on Agent { site { health } }",
      "{ agents { id ... on Agent { site { health } } } }",
      "{ __typename agents { id } }",
      "{ mesh { self } agents { id } }",
      "{ agents @skip(if: false) { id } }",
      "{ agents { id } agents { state } }",
      `{ agents { ${HIDDEN_ID}: siteId } }`,
      "mutation { agents { id } }",
    ]) {
      expect(planOf(query), query).toBeNull();
    }
    expect(planOf("query A { agents { id } } query B { sites { health } }", "A")).not.toBeNull();
    expect(planOf("query A { agents { id } } query B { sites { health } }", "B")).toBeNull();
  });

  it("are made once per document and operation", () => {
    const p = planner();
    const document = parse("{ agents { id } }");
    expect(p.planFor(document, undefined)).toBe(p.planFor(document, null));
  });
});

describe("nesting read before parsing", () => {
  it("counts braces, not those inside strings, block strings or comments", () => {
    expect(nestingOf("{ a { b { c } } }")).toBe(3);
    expect(nestingOf('{ a(s: "{{{{") { b } }')).toBe(2);
    expect(nestingOf('{ a(s: """ {{{ \n {{{ """) { b } }')).toBe(2);
    expect(nestingOf("{ a # {{{{{\n { b } }")).toBe(2);
    expect(nestingOf('{ a(s: "\\" {{{") { b } }')).toBe(2);
    expect(nestingOf(`{${" a {".repeat(2999)} b${" }".repeat(3000)}`)).toBe(3000);
  });
});
