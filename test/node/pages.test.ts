/**
 * The pages as their users meet them, in Debian's chromium (playwright-core, no browser
 * download) on the local mesh in real workerd processes: a customer asks for a callback
 * in the widget on a provider's page served from another origin; the agent's desk shows
 * it arrive; the simulated media server fires it; the agent completes it; the widget shows
 * `completed`. Then the console shows a site go down when its runtime stops answering, and
 * back up once the launcher has restarted it. The widget speaks French to a French browser at
 * 320 px, worked with Tab, Space and Enter alone; the query page runs a query with an ops token
 * and browses the schema. The run leaves screenshots of the three pages in
 * docs/screenshots (the README shows them).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../federation/node/launcher/options.ts";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { browserSkipReason, CHROMIUM, CHROMIUM_ARGS } from "../../bench/lib/chromium.ts";
import { acmeAllDay, call, eventually, freshMesh } from "./mesh-client.ts";
import { runtimeHolding } from "../../chaos/processes.ts";
import { PORTS } from "./ports.ts";

const skipReason = browserSkipReason("pages.test.ts");

const PROVIDER_PAGE_PORT = PORTS.pages.providerPage;
const SHOTS = path.join(REPO_ROOT, "docs/screenshots");

/**
 * The provider's own web server, on another origin than the edge: it serves the page the
 * edge's demo route renders (which loads the widget from the edge), as a provider's site would.
 */
function providerSite(edge: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://provider.local");
    // A browser asks every host for an icon; a provider's site answers, as any would.
    if (url.pathname === "/favicon.ico") return void res.writeHead(204).end();
    fetch(`${edge}/demo/widget?provider=${encodeURIComponent(url.searchParams.get("provider") ?? "")}`)
      .then(async (page) => {
        res.writeHead(page.status, { "content-type": page.headers.get("content-type") ?? "text/html" });
        res.end(await page.text());
      })
      .catch(() => {
        res.writeHead(502).end();
      });
  });
  return new Promise((resolve) => server.listen(PROVIDER_PAGE_PORT, "127.0.0.1", () => resolve(server)));
}


/** Presses Tab until `target` has the focus (looking inside shadow roots), as a keyboard user would; fails past `max` presses. */
async function tabTo(page: Page, target: import("playwright-core").Locator, max = 25): Promise<void> {
  const handle = await target.elementHandle();
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const [focused, what] = await page.evaluate((el) => {
      let active = document.activeElement;
      while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
      return [active === el, `${active?.tagName ?? "none"}${active?.id ? `#${active.id}` : ""}`] as const;
    }, handle);
    if (focused) return;
    seen.push(what);
  }
  throw new Error(`not reached with ${max} presses of Tab (focus went: ${seen.join(" ")})`);
}

describe.skipIf(skipReason !== null)(`the pages in chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let mesh: Mesh;
  let stop: () => Promise<void>;
  let site: Server;
  let profile: string;
  let context: BrowserContext;
  const admin = () => ({ authorization: `Bearer ${mesh.adminToken}` });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI must drive the pages in a browser, and there is none at ${CHROMIUM}: .ci/run installs Debian's chromium`);
    ({ mesh, stop } = await freshMesh("pages", PORTS.pages.edge, PORTS.pages.site));
    site = await providerSite(mesh.urls.edge);
    profile = await mkdtemp(path.join(tmpdir(), "chromium-pages-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 800 },
      locale: "en-US",
      timezoneId: "Europe/Paris",
    });
    context.setDefaultTimeout(20_000);
    await mkdir(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => (site ? site.close(resolve) : resolve(null)));
    await stop?.();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  /** A page whose console errors and failed requests are kept, to be shown when a step fails. */
  async function open(url: string): Promise<{ page: Page; trouble: string[] }> {
    const page = await context.newPage();
    const trouble: string[] = [];
    page.on("pageerror", (e) => trouble.push(`error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && trouble.push(`console: ${m.text()}`));
    await page.goto(url);
    return { page, trouble };
  }

  it("a customer's widget request reaches the agent's desk, fires, is completed, and the widget says so", async () => {
    const demoOrigin = `http://127.0.0.1:${PROVIDER_PAGE_PORT}`;
    const provider = await acmeAllDay("acme", { allowedOrigins: [demoOrigin], languages: ["en", "fr", "es"] });
    expect((await call(mesh.urls.edge, "POST", "/v1/providers", provider, admin())).status).toBe(201);
    const manila = mesh.urls.sites.manila!;
    const agent = { name: "Ana Reyes", skills: { appliance_repair: 5 }, channels: ["voice", "sms"], languages: ["en"] };
    expect((await call(manila, "PUT", "/v1/agents/ana", agent, admin())).status).toBe(201);
    const token = (await call(manila, "POST", "/v1/tokens", { role: "agent", agentId: "ana" }, admin())).body.token as string;

    // The agent signs in at the desk with the token her site signed, and becomes available from there.
    const { page: desk, trouble: deskTrouble } = await open(`${mesh.urls.edge}/desk`);
    await desk.getByLabel("Token").fill(token);
    await desk.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => desk.getByRole("status", { name: "live updates on" }).count(), { timeout: 10_000 }).toBe(1);
    await desk.getByLabel("My state").selectOption("available");
    await expect.poll(() => desk.getByTestId("agent-state").textContent()).toContain("available");
    // The cloud plans from gossip: the edge must have heard that she is available.
    await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; agents: { available: number } }[],
      (ms) => ms.some((m) => m.siteId === "manila" && m.agents.available >= 1),
    );

    // The customer, on the provider's own page (another origin), asks for a callback.
    const { page: shop, trouble: shopTrouble } = await open(`${demoOrigin}/?provider=acme`);
    await shop.getByLabel("What is it about?").fill("My washing machine stopped spinning and smells of burning");
    await shop.getByRole("button", { name: "Call me back" }).click();
    await shop.getByRole("radio", { name: "As soon as possible" }).check();
    await shop.getByRole("radio", { name: "Phone call" }).check();
    await shop.getByLabel("Country").selectOption("US");
    await shop.getByLabel("Phone number").fill("512 555 0142");
    await shop.getByRole("button", { name: "Confirm" }).click();
    const number = shop.getByTestId("confirmation");
    await expect.poll(() => number.count(), { message: shopTrouble.join("\n") }).toBe(1);
    const confirmation = ((await number.textContent()) ?? "").trim();
    expect(confirmation).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const shownAt = Date.now();

    // The desk shows it within a second of the customer's confirmation, pushed on its live feed.
    const card = desk.locator(`article[data-confirmation="${confirmation}"]`);
    await card.waitFor({ state: "visible", timeout: 5_000 });
    expect(Date.now() - shownAt, deskTrouble.join("\n")).toBeLessThan(1_000);
    await expect.poll(() => card.textContent()).toContain("My washing machine stopped spinning");

    // As soon as possible is now: the simulated media server dials and the customer answers.
    await expect.poll(() => card.getAttribute("data-status"), { timeout: 15_000 }).toBe("connected");
    await desk.screenshot({ path: path.join(SHOTS, "desk.png") });
    await card.getByLabel("Outcome").selectOption("resolved");
    await card.getByRole("button", { name: "Complete" }).click();

    // The customer's widget, following the live events, says so.
    await expect.poll(() => shop.locator("callback-widget").getAttribute("data-status"), { timeout: 10_000 }).toBe("completed");
    await shop.screenshot({ path: path.join(SHOTS, "widget.png"), fullPage: true });
    expect(shopTrouble).toEqual([]);
    expect(deskTrouble).toEqual([]);
  });

  it("the link in a customer's confirmation opens their callback, which they can move and cancel there", async () => {
    const hoursAhead = (from: number, to: number) => ({ start: new Date(Date.now() + from * 3_600_000).toISOString(), end: new Date(Date.now() + to * 3_600_000).toISOString() });
    const provider = await acmeAllDay("acme-links");
    expect((await call(mesh.urls.edge, "POST", "/v1/providers", provider, admin())).status).toBe(201);
    const offer = await call(mesh.urls.edge, "POST", "/v1/interactions", { providerId: "acme-links", user: { id: "links-user" } });
    const asked = await call(
      mesh.urls.edge,
      "POST",
      "/v1/callbacks",
      // Hours ahead: an agent free now (the first test's) must not be calling before the customer opens the link.
      { indicia: offer.body.token, when: hoursAhead(3, 4), media: ["voice", "sms"], contact: { phone: "+15125550142" }, reason: "the dryer will not start" },
      { "idempotency-key": "links-test-callback-1" },
    );
    expect(asked.status, asked.text).toBe(201);
    const { confirmation } = asked.body as { confirmation: string };
    // The simulated media server's text carries the link; the customer taps it.
    const messages = await eventually(
      async () => (await call(mesh.urls.edge, "GET", `/v1/media/messages?confirmation=${confirmation}`, undefined, admin())).body.messages as { notice: string; message: string }[],
      (ms) => ms.some((m) => m.notice === "confirmation"),
    );
    const link = /https?:\/\/\S+/.exec(messages[0]!.message)![0];
    expect(link.startsWith(`${mesh.urls.edge}/callback?provider=acme-links#confirmation=${confirmation}&verifier=`)).toBe(true);
    const { page, trouble } = await open(link);
    const shown = page.getByTestId("confirmation");
    await expect.poll(() => shown.count(), { message: trouble.join("\n") }).toBe(1);
    expect(((await shown.textContent()) ?? "").trim()).toBe(confirmation);
    // The verifier is taken from the address bar, so it is not left in the history for whoever uses the browser next.
    expect(new URL(page.url()).hash).toBe("");

    // They move it to the last free slot of a fresh offer: the edge holds an agent then, and the page says so.
    const planned = (await page.getByTestId("planned").textContent()) ?? "";
    await page.getByRole("button", { name: "Change time" }).click();
    const last = page.getByRole("radio").last();
    await last.waitFor();
    const start = await last.getAttribute("value");
    expect(start).not.toBe("asap");
    await last.check();
    await page.getByRole("button", { name: "Move callback" }).click();
    await expect.poll(() => page.getByTestId("planned").textContent(), { message: trouble.join("\n") }).not.toBe(planned);
    const moved = (await call(mesh.urls.edge, "GET", `/v1/callbacks/${confirmation}`, undefined, admin())).body as {
      status: string; window: { start: string }; history: { type: string }[];
    };
    expect(moved.status).toBe("scheduled");
    expect(moved.window.start).toBe(start);
    expect(moved.history.map((e) => e.type)).toContain("rescheduled");
    expect(await page.getByRole("button", { name: "Move callback" }).count()).toBe(0);

    await page.getByRole("button", { name: "Cancel callback" }).click();
    await expect.poll(() => page.locator("callback-widget").getAttribute("data-status"), { timeout: 10_000 }).toBe("cancelled");
    expect((await call(mesh.urls.edge, "GET", `/v1/callbacks/${confirmation}`, undefined, admin())).body.status).toBe("cancelled");
    expect(trouble).toEqual([]);
    await page.close();
  });

  it("the console shows a site go down within 5 s of its runtime dying, and back up when the launcher has restarted it", async () => {
    const { page: ops } = await open(`${mesh.urls.edge}/console`);
    await ops.getByLabel("Token").fill(mesh.adminToken);
    await ops.getByRole("button", { name: "Sign in" }).click();
    const austin = ops.locator('tr[data-site="austin"]');
    await expect.poll(() => austin.getAttribute("data-health"), { timeout: 20_000 }).toBe("up");
    await ops.getByRole("heading", { name: "Agents per skill and state" }).waitFor();
    await ops.screenshot({ path: path.join(SHOTS, "console.png"), fullPage: true });

    // A SIGKILLed workerd is started again by Miniflare within a second (measured: a one-second gap in gossip,
    // never `down`), so the runtime is frozen instead: alive to the kernel, dead to every caller, the harder case.
    const runtime = runtimeHolding(path.join(mesh.stateDir, "austin"));
    expect(runtime, "the workerd that holds austin's state").not.toBeNull();
    process.kill(runtime!, "SIGSTOP");
    const stoppedAt = Date.now();
    try {
      await expect.poll(() => austin.getAttribute("data-health"), { timeout: 10_000, interval: 100 }).toBe("down");
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);
      // The launcher's supervisor restarts it on its state; its peer's next digest brings it back.
      await expect.poll(() => austin.getAttribute("data-health"), { timeout: 45_000, interval: 250 }).toBe("up");
    } finally {
      try {
        process.kill(runtime!, "SIGCONT");
      } catch {
        // Killed by the supervisor's restart, as it should be.
      }
    }
  });

  it("the widget speaks the customer's language, fits 320 px, and is worked with the keyboard alone", async () => {
    const page = await context.newPage();
    const trouble: string[] = [];
    page.on("pageerror", (e) => trouble.push(`error: ${e.message}`));
    await page.setViewportSize({ width: 320, height: 640 });
    // A French browser: the provider serves fr (registered in the first test), so the widget speaks it.
    await page.addInitScript(() => {
      Object.defineProperty(navigator, "languages", { get: () => ["fr-FR", "fr"] });
      Object.defineProperty(navigator, "language", { get: () => "fr-FR" });
    });
    await page.goto(`http://127.0.0.1:${PROVIDER_PAGE_PORT}/?provider=acme`);
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= 320);

    const reason = page.getByLabel(/De quoi s.agit-il/);
    await tabTo(page, reason);
    await page.keyboard.type("Mon lave-linge fuit");
    await tabTo(page, page.getByRole("button", { name: "Rappelez-moi" }));
    await page.keyboard.press("Enter");
    const asap = page.getByRole("radio", { name: "Dès que possible" });
    await asap.waitFor();
    expect(await fits()).toBe(true);
    await tabTo(page, asap);
    await page.keyboard.press("Space");
    expect(await asap.isChecked()).toBe(true);
    // The picker starts on the browser's country; a French mobile number typed the French way.
    expect(await page.getByLabel("Pays").inputValue()).toBe("FR");
    await tabTo(page, page.getByLabel("Numéro de téléphone"));
    await page.keyboard.type("06 12 34 56 78");
    await tabTo(page, page.getByRole("button", { name: "Confirmer" }));
    await page.keyboard.press("Enter");
    await page.getByTestId("confirmation").waitFor();
    expect(await fits()).toBe(true);
    await tabTo(page, page.getByRole("button", { name: "Annuler le rappel" }));
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("callback-widget").getAttribute("data-status")).toBe("cancelled");
    expect(await page.locator("callback-widget").textContent()).not.toBeNull();
    expect(await page.getByText("Annulé").count()).toBeGreaterThan(0);
    expect(trouble).toEqual([]);
  });

  it("the query page runs an ops query against the federated schema and browses its types", async () => {
    const { page, trouble } = await open(`${mesh.urls.edge}/graphiql`);
    await page.getByLabel("Token").fill(mesh.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Run query" }).click();
    await expect.poll(() => page.getByTestId("result").textContent()).toContain('"self": "edge"');
    // The schema browser, read by introspection: from Query to the Mesh type.
    await page.getByRole("button", { name: "open type Mesh" }).first().click();
    await page.getByRole("heading", { name: "Schema: Mesh" }).waitFor();
    expect(await page.getByText(/^\s*members/).count()).toBeGreaterThan(0);
    // A token that is not one: the page asks to sign in again.
    await page.evaluate(() => sessionStorage.setItem("callback-graphiql-token", "not-a-token"));
    await page.reload();
    await page.getByRole("button", { name: "Run query" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(trouble.filter((t) => !t.includes("401"))).toEqual([]);
  });
});
