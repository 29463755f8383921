// The API reference at /docs: this Worker's /openapi.json rendered by Swagger UI, in two
// parts: the public API first, then the federation routes that the mesh's own members call
// on each other, apart, so a client developer never has to read past them.
// Plain browser JavaScript served as a static asset: no build step, nothing from a CDN.
/* global SwaggerUIBundle */
"use strict";

/** Tags and groups named like these hold the routes between members, not the public API. */
const FEDERATION = /federation|internal/i;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * Tag names the document marks as federation (besides those named so): by a tag's own
 * flag (`x-internal`, `x-audience`), or by an `x-tagGroups` group named so.
 */
function federationTags(doc) {
  const tags = new Set();
  for (const tag of doc.tags ?? []) {
    if (tag["x-internal"] === true || FEDERATION.test(String(tag["x-audience"] ?? ""))) tags.add(tag.name);
  }
  for (const group of doc["x-tagGroups"] ?? []) {
    if (FEDERATION.test(group.name)) for (const name of group.tags ?? []) tags.add(name);
  }
  return tags;
}

/** An operation is federation when all its tags are; an untagged one is judged by its path. */
function isFederation(path, op, fedTags) {
  if (op["x-internal"] === true) return true;
  if (Array.isArray(op.tags) && op.tags.length > 0) return op.tags.every((t) => FEDERATION.test(t) || fedTags.has(t));
  return /^\/(v1\/)?federation(\/|$)/.test(path);
}

/** The document split in two documents sharing its components; the second is null when empty. */
function split(doc) {
  const fedTags = federationTags(doc);
  const publicPaths = {};
  const federationPaths = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const into = isFederation(path, op, fedTags) ? federationPaths : publicPaths;
      // Path-level fields (shared parameters, summary) go with each half that has an operation.
      into[path] ??= Object.fromEntries(Object.entries(item).filter(([key]) => !METHODS.includes(key)));
      into[path][method] = op;
    }
  }
  const usedTags = (paths) => new Set(Object.values(paths).flatMap((item) => METHODS.flatMap((m) => item[m]?.tags ?? [])));
  const keepTags = (paths) => {
    const used = usedTags(paths);
    return (doc.tags ?? []).filter((tag) => used.has(tag.name));
  };
  const publicDoc = { ...doc, paths: publicPaths, tags: keepTags(publicPaths) };
  const hasFederation = Object.keys(federationPaths).length > 0;
  const federationDoc = hasFederation
    ? {
        ...doc,
        info: {
          ...doc.info,
          title: `${doc.info?.title ?? "API"}: federation`,
          summary: undefined,
          description: "Routes the mesh's own members (the edge, the sites and their peers) call on each other. Clients of the public API above never need them.",
        },
        paths: federationPaths,
        tags: keepTags(federationPaths),
        webhooks: undefined,
      }
    : null;
  return [publicDoc, federationDoc];
}

function render(domId, spec, showModels) {
  return SwaggerUIBundle({
    spec,
    dom_id: domId,
    layout: "BaseLayout",
    // Everything open: a reference is read (and searched with the browser's find) top to bottom.
    docExpansion: "full",
    deepLinking: true,
    displayOperationId: true,
    // Shows each operation's x-roles (who may call it) and other vendor fields.
    showExtensions: true,
    showCommonExtensions: true,
    defaultModelRendering: "example",
    defaultModelExpandDepth: 3,
    // The shared schemas are listed once, under the public part (collapsed); -1 hides them.
    defaultModelsExpandDepth: showModels ? 0 : -1,
    requestSnippetsEnabled: true,
    // The default validator badge would send the document to a third-party service.
    validatorUrl: null,
  });
}

async function main() {
  const status = document.getElementById("status");
  let doc;
  try {
    const res = await fetch("/openapi.json", { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
    doc = await res.json();
  } catch (error) {
    status.textContent = `The API description could not be loaded: ${error.message}`;
    return;
  }
  const [publicDoc, federationDoc] = split(doc);
  render("#public", publicDoc, true);
  if (federationDoc) render("#federation", federationDoc, false);
  else document.getElementById("federation-part").hidden = true;
  status.remove();
}

void main();
