/**
 * What every Worker publishes as static assets (wrangler.toml `assets`): exactly the
 * /docs page's files. Some are links into node_modules/swagger-ui-dist (npm install
 * brings them, no build step); wrangler follows links when it uploads, so a link to a
 * folder would publish a whole package. This pins the list and the links' targets.
 */
import { lstatSync, readdirSync, readlinkSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ASSETS = path.join(ROOT, "workers/docs-assets");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return lstatSync(full).isDirectory() ? walk(full) : [path.relative(ASSETS, full)];
  });
}

describe("the Workers' static assets", () => {
  it("are the docs page's files and nothing else", () => {
    expect(walk(ASSETS).sort()).toEqual([
      "docs/reference.js",
      "docs/swagger-ui-LICENSE.txt",
      "docs/swagger-ui-NOTICE.txt",
      "docs/swagger-ui-bundle.js",
      "docs/swagger-ui-bundle.js.LICENSE.txt",
      "docs/swagger-ui.css",
    ]);
  });

  it("link only to single files of swagger-ui-dist, present after npm install", () => {
    const pkg = path.join(ROOT, "node_modules/swagger-ui-dist");
    for (const file of walk(ASSETS)) {
      const full = path.join(ASSETS, file);
      if (!lstatSync(full).isSymbolicLink()) continue;
      const target = path.resolve(path.dirname(full), readlinkSync(full));
      expect(path.dirname(target), file).toBe(pkg);
      expect(statSync(target).isFile(), file).toBe(true);
    }
  });
});
