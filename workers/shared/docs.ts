/**
 * GET /docs, on the edge and on every site: the API reference. It is Swagger UI
 * (npm swagger-ui-dist) reading this Worker's /openapi.json. Its files are the Worker's
 * static assets under /docs/ (wrangler.toml `assets`), so the page needs no network beyond
 * this Worker and the script bundle stays small; only this shell is rendered here.
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] as string);

export function docsPage(title: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
<style>
body{margin:0;font-family:system-ui,sans-serif}
header,.part>h2,#status{max-width:1460px;margin:0 auto;padding:0 20px;box-sizing:border-box}
header{padding-top:1rem}
.part>h2{margin-top:2rem;padding-top:1rem;border-top:3px solid #3b4151}
</style>
</head>
<body>
<header><h1>${t}</h1>
<p>The contract as OpenAPI 3.1: <a href="/openapi.json"><code>/openapi.json</code></a>. Every route, with who may call it (<code>x-roles</code>), its parameters, bodies, answers and examples.</p></header>
<p id="status">Loading the API description…</p>
<section class="part" id="public-part"><h2>Public API</h2><div id="public"></div></section>
<section class="part" id="federation-part"><h2>Federation (between the mesh's members)</h2><div id="federation"></div></section>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/reference.js"></script>
</body>
</html>`;
}
