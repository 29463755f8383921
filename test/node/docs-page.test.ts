/**
 * /docs as a reader sees it: Debian's chromium, driven by playwright-core (which downloads
 * no browser), renders the edge's and a site's reference pages while every request that
 * is not to loopback is refused, so a page needing a CDN (or anything else outside the
 * Worker) fails here. Its ports are its own (ports.ts).
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMesh, type Mesh } from "../../federation/node/launcher/mesh.ts";
import { PORTS } from "./ports.ts";
import { browserSkipReason, CHROMIUM, CHROMIUM_ARGS } from "../../bench/lib/chromium.ts";

const skipReason = browserSkipReason("docs-page.test.ts");

/** The little of the document this test reads. */
interface OpenApiDoc {
  security?: unknown[];
  paths: Record<string, Record<string, { security?: unknown[]; "x-roles"?: unknown }>>;
}

/** What went wrong while a page loaded, as a reader's browser would see it. */
interface Trouble {
  blocked: string[];
  failed: string[];
  errors: string[];
}

describe.skipIf(skipReason !== null)(`/docs in chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let mesh: Mesh;
  let stateDir: string;
  let profile: string;
  let context: BrowserContext;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI must render /docs in a browser, and there is none at ${CHROMIUM}: .ci/run installs Debian's chromium`);
    stateDir = await mkdtemp(path.join(tmpdir(), "mesh-docs-"));
    profile = await mkdtemp(path.join(tmpdir(), "chromium-docs-"));
    mesh = await startMesh(
      { sites: 1, fresh: true, stateDir, host: "127.0.0.1", edgePort: PORTS.docsPage.edge, sitePort: PORTS.docsPage.site, settings: {}, readyTimeoutMs: 60_000, peers: false },
      { log: () => {} },
    );
    // A persistent context because playwright takes the profile folder only this way, not as --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    // Rendering a whole expanded reference takes seconds on a busy 2-core machine; this is a ceiling, not a wait.
    context.setDefaultTimeout(60_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await mesh?.stop();
    await Promise.all([stateDir, profile].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** Opens `url` with only loopback reachable, and records whatever failed or was refused. */
  async function open(url: string): Promise<{ page: Page; trouble: Trouble }> {
    const page = await context.newPage();
    const trouble: Trouble = { blocked: [], failed: [], errors: [] };
    await page.route("**/*", (route) => {
      const { hostname, protocol } = new URL(route.request().url());
      if (protocol === "data:" || hostname === "127.0.0.1") return route.continue();
      trouble.blocked.push(route.request().url());
      return route.abort("blockedbyclient");
    });
    page.on("requestfailed", (request) => trouble.failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    page.on("response", (response) => {
      if (response.status() >= 400) trouble.failed.push(`${response.url()}: ${response.status()}`);
    });
    page.on("pageerror", (error) => trouble.errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") trouble.errors.push(message.text());
    });
    await page.goto(url);
    return { page, trouble };
  }

  /** The operation block of `method path` in one part of the page (`#public` or `#federation`). */
  const operation = (page: Page, part: string, method: string, route: string) =>
    page.locator(`${part} .opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${route}"]`) });

  it("the edge's page documents POST /v1/callbacks: its Idempotency-Key header, body example, 201 and 422", { timeout: 120_000 }, async () => {
    const { page, trouble } = await open(`${mesh.urls.edge}/docs`);
    const create = operation(page, "#public", "post", "/v1/callbacks");
    await create.waitFor();
    expect(await create.locator(".opblock-summary-method").innerText()).toBe("POST");

    // Header names are case-insensitive; the document may spell it either way.
    const header = create.locator('tr[data-param-name="idempotency-key" i][data-param-in="header"]');
    // Waited for, not glanced at: on a busy machine the page fills the block in after it appears.
    await header.waitFor({ state: "visible" });
    expect(await header.locator(".parameter__name").innerText()).toMatch(/idempotency-key/i);
    expect(await header.locator(".parameter__in").innerText()).toContain("header");

    // The request body with an example a reader can copy.
    const body = create.locator(".opblock-section-request-body");
    await body.waitFor({ state: "visible" });
    expect(await body.locator(".body-param__example, .example, .highlight-code").first().innerText()).toMatch(/\{/);

    // Who may call it, shown with the operation: its x-roles, and the lock of a route that takes a token.
    const doc = (await (await fetch(`${mesh.urls.edge}/openapi.json`)).json()) as OpenApiDoc;
    const roles = create.locator(".opblock-section").filter({ hasText: "x-roles" });
    for (const role of [doc.paths["/v1/callbacks"].post["x-roles"]].flat()) expect(await roles.innerText()).toContain(String(role));
    expect(doc.paths["/v1/providers"].post.security).toEqual([{ bearer: ["admin"] }]);
    const register = operation(page, "#public", "post", "/v1/providers");
    await register.locator(".authorization__btn").first().waitFor({ state: "visible" });

    // Every route of the document is on the page, once.
    for (const [route, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const blocks = page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${route}"]`) });
        expect(await blocks.count(), `${method.toUpperCase()} ${route} on the page`).toBe(1);
      }
    }

    for (const code of ["201", "422"]) {
      const answer = create.locator(`tr.response[data-code="${code}"]`);
      await answer.waitFor({ state: "visible" });
      expect(await answer.locator(".response-col_status").innerText()).toContain(code);
    }

    // Public first; federation routes apart, below it.
    expect(await page.locator('#public .opblock-summary-path[data-path^="/federation"]').count()).toBe(0);
    await page.locator('#federation .opblock-summary-path[data-path^="/federation"]').first().waitFor();
    const publicTop = (await page.locator("#public-part").boundingBox())?.y ?? Infinity;
    const federationTop = (await page.locator("#federation-part").boundingBox())?.y ?? -Infinity;
    expect(publicTop).toBeLessThan(federationTop);

    expect(trouble).toEqual({ blocked: [], failed: [], errors: [] });
    await page.close();
  });

  it("a site serves its own /docs, with its agent routes", { timeout: 120_000 }, async () => {
    const [siteUrl] = Object.values(mesh.urls.sites);
    const { page, trouble } = await open(`${siteUrl}/docs`);
    const putAgent = operation(page, "#public", "put", "/v1/agents/{agentId}");
    await putAgent.waitFor();
    expect(await putAgent.locator(".opblock-summary-method").innerText()).toBe("PUT");
    expect(await page.locator('#public .opblock-summary-path[data-path^="/v1/agents"]').count()).toBeGreaterThan(1);
    expect(await page.locator("header h1").innerText()).toMatch(/site paris/);
    expect(trouble).toEqual({ blocked: [], failed: [], errors: [] });
    await page.close();
  });
});
