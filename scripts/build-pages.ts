/**
 * Builds the edge's pages (pages/) into its static assets folder, dist/edge-assets:
 *   widget.js            the callback widget a provider's pages load (one script, no imports)
 *   static/<page>.js     the desk, the console and the query page (ES modules the edge's HTML loads)
 *   static/pages.css     their one style sheet
 *   docs                 a link to the /docs page's files in workers/docs-assets (the edge's assets replace the top level's)
 * wrangler runs it before the edge starts or deploys ([env.edge.build]); the vitest config and the
 * launcher's tests run it too. Several may run at once (parallel test files): every file is written
 * to a temporary name and renamed, so a reader never sees half a file, and the output is the same each time.
 */
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync, lstatSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { WIDGET_COUNTRIES } from "../pages/widget/countries.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const EDGE_ASSETS = join(ROOT, "dist/edge-assets");

/** The phone metadata of the widget's countries only: all of libphonenumber's would be 25 KB more (gzip) in every page that embeds it. */
const phoneMetadata: Plugin = {
  name: "phone-metadata",
  setup(b) {
    b.onResolve({ filter: /^virtual:phone-metadata$/ }, () => ({ path: "phone-metadata", namespace: "virtual" }));
    b.onLoad({ filter: /.*/, namespace: "virtual" }, () => {
      const all = JSON.parse(readFileSync(join(ROOT, "node_modules/libphonenumber-js/metadata.min.json"), "utf8")) as {
        version: number;
        countries: Record<string, unknown>;
        country_calling_codes: Record<string, string[]>;
      };
      const keep = new Set<string>(WIDGET_COUNTRIES);
      const countries = Object.fromEntries(Object.entries(all.countries).filter(([c]) => keep.has(c)));
      const codes = Object.fromEntries(
        Object.entries(all.country_calling_codes)
          .map(([code, list]) => [code, list.filter((c) => keep.has(c))] as const)
          .filter(([, list]) => list.length > 0),
      );
      // Nothing else (non-geographic numbers are reached through calling codes this subset does not keep).
      return { contents: JSON.stringify({ version: all.version, countries, country_calling_codes: codes }), loader: "json" };
    });
  },
};

function writeAtomically(path: string, contents: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

function linkDocs(): void {
  const link = join(EDGE_ASSETS, "docs");
  try {
    lstatSync(link);
  } catch {
    try {
      symlinkSync(relative(EDGE_ASSETS, join(ROOT, "workers/docs-assets/docs")), link);
    } catch (err) {
      // Another build made it between the look and the link.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

export async function buildPages(): Promise<void> {
  const common = { bundle: true, minify: true, write: false, target: "es2022", legalComments: "none", jsx: "automatic" } as const;
  const [widget, pages] = await Promise.all([
    // An IIFE: a provider's page loads it with a plain script tag, from any origin.
    build({ ...common, entryPoints: { widget: join(ROOT, "pages/widget/index.ts") }, format: "iife", outdir: EDGE_ASSETS, plugins: [phoneMetadata] }),
    build({
      ...common,
      entryPoints: {
        desk: join(ROOT, "pages/desk/index.ts"),
        console: join(ROOT, "pages/console/index.ts"),
        graphiql: join(ROOT, "pages/graphiql/index.ts"),
      },
      format: "esm",
      outdir: join(EDGE_ASSETS, "static"),
    }),
  ]);
  mkdirSync(EDGE_ASSETS, { recursive: true });
  for (const file of [...widget.outputFiles, ...pages.outputFiles]) writeAtomically(file.path, file.contents);
  writeAtomically(join(EDGE_ASSETS, "static/pages.css"), readFileSync(join(ROOT, "pages/shared/pages.css")));
  linkDocs();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildPages();
