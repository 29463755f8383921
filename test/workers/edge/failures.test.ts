/**
 * What a caller sees when the state inside an object is broken: a 500 in the error
 * shape, with nothing of the inside (no message of the fault, no stack, no path), while
 * the log says where it happened and what it concerned.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InvariantError, guarded } from "../../../objects/shared/problem.ts";
import { edge, requestCallback } from "./contract.ts";
import { ADMIN, cloud, registerAcme, staff } from "./helpers.ts";

afterEach(() => vi.restoreAllMocks());

describe("a fault inside the callback shard", () => {
  it("answers 500 in the error shape, and logs where and for what", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    // A stored field no longer reads as JSON: the kind of state no route may write.
    await runInDurableObject(cloud(), async (_instance, state) => {
      state.storage.sql.exec("UPDATE callbacks SET contact = '{' WHERE confirmation = ?", body.confirmation);
    });
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const answer = await edge("GET", `/v1/callbacks/${body.confirmation}`, undefined, ADMIN);
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: { code: "internal", message: "something went wrong on our side", details: null } });
    expect(answer.text).not.toMatch(/SyntaxError|JSON|at |\.ts/);
    const line = logged.mock.calls.map((c) => String(c[0])).find((l) => l.includes("shard.status"));
    expect(JSON.parse(line!)).toMatchObject({ level: "error", at: "shard.status", error: "SyntaxError" });
  });
});

describe("guarded", () => {
  it("passes a Result through, and turns a broken invariant into a 500 logged with its context", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await guarded("t.ok", () => ({ ok: true, value: 1 }))).toEqual({ ok: true, value: 1 });
    const refused = { ok: false as const, problem: { status: 409 as const, code: "conflict", message: "no" } };
    expect(await guarded("t.fail", () => refused)).toBe(refused);
    const broken = await guarded("t.broken", () => {
      throw new InvariantError("an illegal move of a callback", { callbackId: "cb_1", from: "completed", to: "dialing" });
    });
    expect(broken).toEqual({ ok: false, problem: { status: 500, code: "internal", message: "something went wrong on our side", details: undefined } });
    expect(JSON.parse(String(logged.mock.calls.at(-1)?.[0]))).toEqual({
      level: "error",
      at: "t.broken",
      error: "InvariantError",
      message: "an illegal move of a callback",
      context: { callbackId: "cb_1", from: "completed", to: "dialing" },
    });
  });
});
