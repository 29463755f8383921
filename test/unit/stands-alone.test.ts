/**
 * The repository stands alone: a clone of it with nothing beside it must install, start
 * and pass its tests, so no tracked file may name a path that resolves outside it
 * (a sibling folder of fixtures, say). Relative paths, path.join/resolve chains from
 * a file's folder or the root, and absolute paths into the folder that holds the
 * clone are all checked.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const UP = "..";

/** Where `target` lands from `base`, or null when it stays in the repository. */
function escapes(root: string, base: string, target: string): string | null {
  const resolved = path.resolve(base, target);
  const rel = path.relative(root, resolved);
  return rel === UP || rel.startsWith(UP + path.sep) || path.isAbsolute(rel) ? resolved : null;
}

/** Every reference in `text` (of the tracked file `file`) that resolves outside the repository. */
export function outsideReferences(file: string, text: string, root = ROOT): string[] {
  const dir = path.dirname(path.join(root, file));
  const found = new Set<string>();
  // "../x/y" in a string, an import, a Markdown link or a shell word; not the tail of "a/../b" or "..." .
  for (const m of text.matchAll(/(?<![\w./$-])((?:\.\.\/)+[\w@.+-]*(?:\/[\w@.+-]+)*)/g)) {
    if (escapes(root, dir, m[1])) found.add(m[1]);
  }
  // A template string that climbs out of `${root}` or `${import.meta.dirname}` with "/.." segments.
  for (const m of text.matchAll(/\$\{\s*(import\.meta\.dirname|__dirname|[A-Za-z_]*root)\s*\}((?:\/\.\.)+(?:\/[\w@.+-]+)*)/gi)) {
    const base = /dirname$/.test(m[1]) ? dir : root;
    if (escapes(root, base, `.${m[2]}`)) found.add(m[0]);
  }
  // path.join(import.meta.dirname | root, "..", "x") and the like.
  for (const m of text.matchAll(/\b(?:join|resolve)\(([^()]*)\)/g)) {
    const args = m[1].split(",").map((a) => a.trim());
    const base = /^(import\.meta\.dirname|__dirname)$/.test(args[0]) ? dir : /^[A-Za-z_]*root$/i.test(args[0]) ? root : null;
    const segments = args.slice(1).map((a) => /^["'`]([^"'`$]*)["'`]$/.exec(a)?.[1]);
    if (base === null || segments.length === 0 || segments.some((s) => s === undefined)) continue;
    const target = path.join(...(segments as string[]));
    if (escapes(root, base, target)) found.add(m[0]);
  }
  // Absolute paths into the folder that holds this clone, other than the clone itself.
  const parent = path.dirname(root);
  if (parent !== path.parse(parent).root) {
    const own = path.basename(root);
    const escaped = parent.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    for (const m of text.matchAll(new RegExp(`${escaped}/([\\w.-]+)`, "g"))) if (m[1] !== own) found.add(m[0]);
  }
  return [...found];
}

function trackedFiles(): string[] {
  return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
}

describe("the repository stands alone", () => {
  it("finds references that leave the repository, and only those", () => {
    // Built, not written out: a clone that itself lives under /tmp must not find this test's own example path.
    const clones = path.join(path.sep, "tmp", "clones");
    const fake = path.join(clones, "main");
    const sibling = `${UP}/${UP}/${UP}/shared/fixtures/acme-provider.json`;
    expect(outsideReferences("test/unit/x.test.ts", `import acme from "${sibling}";`, fake)).toEqual([sibling]);
    expect(outsideReferences("test/unit/x.test.ts", `import x from "${UP}/${UP}/objects/roster/roster.ts";`, fake)).toEqual([]);
    expect(outsideReferences("README.md", `curl -d @${UP}/shared/fixtures/p.json`, fake)).toEqual([`${UP}/shared/fixtures/p.json`]);
    expect(outsideReferences("README.md", "curl -d @examples/providers/acme.json", fake)).toEqual([]);
    expect(outsideReferences("bench/cloud.ts", `const F = join(root, "${UP}", "shared", "a.json");`, fake)).toHaveLength(1);
    expect(outsideReferences("bench/cloud.ts", `const F = join(root, "examples", "a.json");`, fake)).toEqual([]);
    expect(outsideReferences("test/node/a.ts", `path.resolve(import.meta.dirname, "${UP}/${UP}/${UP}/shared/x.json")`, fake)).not.toEqual([]);
    expect(outsideReferences("test/node/a.ts", `path.resolve(import.meta.dirname, "${UP}/${UP}")`, fake)).toEqual([]);
    expect(outsideReferences("a.md", `see ${clones}/shared/DESIGN.md and ${clones}/main/README.md`, fake)).toEqual([`${clones}/shared`]);
    expect(outsideReferences("bench/a.ts", "const f = `${root}/" + UP + "/shared/x.json`;", fake)).toHaveLength(1);
    expect(outsideReferences("bench/a.ts", "const f = `${root}/examples/" + UP + "/schema/x.json`;", fake)).toEqual([]);
  });

  it("CI runs the README's test command, on a clone of the repository alone", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/^npm install && npm test\b/m);
    const run = readFileSync(path.join(ROOT, ".ci/run"), "utf8");
    // The commands .ci/run ends with, once it is at the root: the README's two, npm install's flags aside.
    const commands = run.split("\n").map((l) => l.trim()).filter((l) => /^npm /.test(l));
    expect(commands.map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual(["npm install", "npm test"]);
    expect(run).toMatch(/^cd "\$\(dirname "\$0"\)\/\.\."$/m);
  });

  it("no tracked file names a path outside the repository", () => {
    const offenders: string[] = [];
    for (const file of trackedFiles()) {
      if (file === "package-lock.json") continue;
      const full = path.join(ROOT, file);
      // Data tables (word vectors, lexicon) are megabytes of numbers, never paths.
      if (statSync(full).size > 1_000_000) continue;
      const text = readFileSync(full, "utf8");
      if (text.includes("\0")) continue;
      for (const ref of outsideReferences(file, text)) offenders.push(`${file}: ${ref}`);
    }
    expect(offenders).toEqual([]);
  });
});
