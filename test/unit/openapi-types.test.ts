/**
 * The typed client's types are current: each committed .d.ts is exactly what
 * openapi-typescript makes of the committed document beside it (npm run codegen
 * writes both; the workerd tests check each document against its live Worker).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { documentFile, OPENAPI_TARGETS, typesFile, typesOf } from "../../schema/openapi-codegen.ts";
import { documentText } from "../../schema/openapi/portable.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file: string) => readFile(path.join(ROOT, file), "utf8");

describe("the OpenAPI documents and their generated types", () => {
  for (const target of OPENAPI_TARGETS) {
    it(`${typesFile(target)} is what openapi-typescript generates from ${documentFile(target)}`, async () => {
      const text = await read(documentFile(target));
      const doc = JSON.parse(text) as object;
      expect(text, `${documentFile(target)} is not as codegen writes it: run npm run codegen`).toBe(documentText(doc));
      expect(await read(typesFile(target)), `${typesFile(target)} is stale: run npm run codegen`).toBe(await typesOf(doc, documentFile(target)));
    });
  }
});
