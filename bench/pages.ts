/** The pages: each script's size (gzip) and each page's time to first render in Debian's chromium on the local mesh, against the page's own first paint. */
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { chromium, type Browser } from "playwright-core";
import { startMesh } from "../federation/node/launcher/mesh.ts";
import { CHROMIUM, CHROMIUM_ARGS } from "./lib/chromium.ts";
import { startRun } from "./lib/harness.ts";
import { percentile } from "./lib/load.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { fixed, machine, round, saveRun, table } from "./lib/report.ts";

/** The limit on the widget's script. */
const WIDGET_LIMIT_BYTES = 30 * 1024;
const root = join(import.meta.dirname, "..");
const EDGE_PORT = 29787;
const SITE_PORT = 29801;
const PROVIDER_PORT = 29780;

const HELP = `usage: npm run bench -- pages [options]

Starts a one-site local mesh (the edge builds its pages first), registers a provider
whose page is served from another origin (as a provider's site would), and opens each
page --rounds times in Debian's chromium, each time in a fresh browser context (nothing
cached). For each load it records, on the page's own clock (performance.now(), from the
start of navigation):
  first paint    the first contentful paint of the HTML the server sent (the shell's
                 "Loading…", or the provider's own page): the baseline
  first render   the first frame in which the page's script has drawn its UI (the
                 sign-in form; the widget's first question, inside its shadow root)
and reports each page's median and p90 of both, and first render / first paint.
Also the size of each page's script as served (minified, and gzip -9).
Result: bench/results/pages.json.

options:
  --rounds N    loads of each page (default 15)
  -h, --help    this text`;

interface Options {
  rounds: number;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({ args, options: { rounds: { type: "string", default: "15" }, help: { type: "boolean", short: "h", default: false } } });
  if (values.help) return "help";
  return { rounds: num("--rounds", values.rounds, 1, 200) };
}


/** In every page before its own scripts: notes the first paint, and the first frame in which `ready()` holds. */
const PROBE = `
  window.__firstPaint = null; window.__firstRender = null;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.name === "first-contentful-paint") window.__firstPaint = e.startTime; })
    .observe({ type: "paint", buffered: true });
  const ready = () => {
    const widget = document.querySelector("callback-widget");
    if (widget) return !!widget.shadowRoot && !!widget.shadowRoot.querySelector("textarea");
    return !!document.querySelector("#token");
  };
  const frame = (t) => { if (ready()) window.__firstRender = t; else requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
`;

interface Load {
  firstPaintMs: number;
  firstRenderMs: number;
}

async function measure(browser: Browser, url: string): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  try {
    await context.addInitScript(PROBE);
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => {
      const w = window as unknown as { __firstPaint: number | null; __firstRender: number | null };
      return w.__firstPaint !== null && w.__firstRender !== null;
    }, undefined, { timeout: 30_000 });
    return await page.evaluate(() => {
      const w = window as unknown as { __firstPaint: number; __firstRender: number };
      return { firstPaintMs: w.__firstPaint, firstRenderMs: w.__firstRender };
    });
  } finally {
    await context.close();
  }
}

const sizeOf = (file: string) => {
  const bytes = readFileSync(join(root, "dist/edge-assets", file));
  return { bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
};

export async function main(args: string[]): Promise<number> {
  const options = readOptions("pages", HELP, () => parseOptions(args));
  if (typeof options === "number") return options;
  if (!existsSync(CHROMIUM)) {
    console.error(`no browser at ${CHROMIUM}: apt-get install -y chromium`);
    return 1;
  }
  const started = performance.now();
  const run = startRun({ name: "pages", budgetMs: 15 * 60_000, stopping: "the mesh and the browser" });
  try {
    const stateDir = await run.tempDir("mesh");
    const mesh = await startMesh(
      { sites: 1, fresh: true, stateDir, host: "127.0.0.1", edgePort: EDGE_PORT, sitePort: SITE_PORT, settings: {}, readyTimeoutMs: 60_000, peers: false },
      { log: () => {}, supervise: false },
    );
    run.track(() => mesh.stop());
    const edge = mesh.urls.edge;
    const providerOrigin = `http://127.0.0.1:${PROVIDER_PORT}`;
    const acme = JSON.parse(readFileSync(join(root, "examples/providers/acme.json"), "utf8")) as Record<string, unknown>;
    const registered = await fetch(`${edge}/v1/providers`, {
      method: "POST",
      headers: { authorization: `Bearer ${mesh.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ ...acme, sites: ["paris"], allowedOrigins: [providerOrigin] }),
    });
    if (!registered.ok) throw new Error(`registering the provider: ${registered.status} ${await registered.text()}`);

    // The provider's own site: the demo page as the edge renders it, from another origin.
    const demo = await (await fetch(`${edge}/demo/widget?provider=acme`)).text();
    const server = createServer((req, res) => {
      if (req.url === "/favicon.ico") return void res.writeHead(204).end();
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(demo);
    });
    await new Promise<void>((resolve) => server.listen(PROVIDER_PORT, "127.0.0.1", resolve));
    run.track(() => new Promise((resolve) => server.close(resolve)));

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    run.track(() => browser.close());

    const pages = [
      { name: "widget (provider's page)", url: `${providerOrigin}/`, script: "widget.js" },
      { name: "desk", url: `${edge}/desk`, script: "static/desk.js" },
      { name: "console", url: `${edge}/console`, script: "static/console.js" },
      { name: "graphiql", url: `${edge}/graphiql`, script: "static/graphiql.js" },
    ];
    const loads = new Map<string, Load[]>(pages.map((p) => [p.name, []]));
    // Round-robin: whatever else the machine does falls on every page alike.
    for (let round = 0; round < options.rounds; round++) {
      for (const page of pages) loads.get(page.name)?.push(await measure(browser, page.url));
    }

    const results = pages.map((page) => {
      const list = loads.get(page.name) ?? [];
      const paint = list.map((l) => l.firstPaintMs).sort((a, b) => a - b);
      const render = list.map((l) => l.firstRenderMs).sort((a, b) => a - b);
      return {
        page: page.name,
        url: page.url,
        script: page.script,
        ...sizeOf(page.script),
        firstPaintP50Ms: round(percentile(paint, 50), 1),
        firstPaintP90Ms: round(percentile(paint, 90), 1),
        firstRenderP50Ms: round(percentile(render, 50), 1),
        firstRenderP90Ms: round(percentile(render, 90), 1),
        renderOverPaint: round(percentile(render, 50) / percentile(paint, 50), 2),
      };
    });
    console.log(
      table(
        ["page", "script gzip", "minified", "first paint p50", "p90", "first render p50", "p90", "render / paint"],
        results.map((r) => [
          r.page,
          `${fixed(r.gzipBytes / 1024)} KB`,
          `${fixed(r.bytes / 1024)} KB`,
          `${fixed(r.firstPaintP50Ms)} ms`,
          `${fixed(r.firstPaintP90Ms)} ms`,
          `${fixed(r.firstRenderP50Ms)} ms`,
          `${fixed(r.firstRenderP90Ms)} ms`,
          `${fixed(r.renderOverPaint, 2)}×`,
        ]),
      ),
    );
    const widget = results[0];
    const withinLimit = widget.gzipBytes <= WIDGET_LIMIT_BYTES;
    console.log(`\nwidget.js: ${widget.gzipBytes} bytes gzip, limit ${WIDGET_LIMIT_BYTES}: ${withinLimit ? "within" : "OVER"}`);
    const result = { machine: machine(), rounds: options.rounds, widgetLimitBytes: WIDGET_LIMIT_BYTES, results, runSeconds: 0 };
    await saveRun("pages", result, started);
    return withinLimit ? 0 : 1;
  } finally {
    await run.finish();
  }
}
