/**
 * What `npm run federation -- keygen|member` is asked to do, from argv and the
 * environment. Pure: no I/O, so tests check every message without a process.
 */
import path from "node:path";
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { siteIdSchema } from "../wire/vocabulary.ts";

/** Under the user's config folder: a private key has no business in a work tree. */
export const KEY_DIR_NAME = "callback-mesh";
export const KEY_FILE_NAME = "peer.key";
/** Where a member finds the edge's public keys when --edge-key is not given. */
export const JWKS_PATH = "/.well-known/jwks.json";
/** Hosts a JWKS may be fetched from over plain http: this machine, where nobody sits in between. */
const LOOPBACK_HOSTS = ["127.0.0.1", "[::1]", "localhost"];
export const DEFAULT_LISTEN = ["/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/tcp/4002/ws"];

export class CliUsageError extends Error {
  name = "CliUsageError";
}

type Env = Record<string, string | undefined>;

export interface KeygenOptions {
  keyFile: string;
  force: boolean;
}

/** The edge's public key as given: a JWK on the command line, or where to fetch its JWKS. */
export type EdgeKeySource = { jwk: unknown } | { jwksUrl: string };

export interface MemberCliOptions {
  siteId: string;
  workerUrl: string;
  edgeUrl: string;
  edgeKey: EdgeKeySource;
  /** The key's RFC 7638 SHA-256 thumbprint (base64url) as the admin gave it, if given: the key must match it. */
  edgeThumbprint?: string;
  keyFile: string;
  listen: string[];
  peerSecret: string;
}

/** `$XDG_CONFIG_HOME/callback-mesh/peer.key`, else `$HOME/.config/callback-mesh/peer.key`. */
export function defaultKeyFile(env: Env): string {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, KEY_DIR_NAME, KEY_FILE_NAME);
  if (env.HOME) return path.join(env.HOME, ".config", KEY_DIR_NAME, KEY_FILE_NAME);
  throw new CliUsageError("neither XDG_CONFIG_HOME nor HOME is set: say where the key goes with --key FILE");
}

export const KEYGEN_OPTIONS = { key: { type: "string" }, force: { type: "boolean", default: false } } as const satisfies ParseArgsOptionsConfig;

export function parseKeygen(args: readonly string[], env: Env, cwd: string): KeygenOptions {
  const values = strictParse(args, KEYGEN_OPTIONS);
  return { keyFile: keyFileOf(values.key as string | undefined, env, cwd), force: values.force === true };
}

/** In the order the usage shows them. */
const REQUIRED = [
  ["site", "--site ID"],
  ["worker", "--worker URL"],
  ["edge", "--edge URL"],
] as const;

export const MEMBER_OPTIONS = {
  site: { type: "string" },
  worker: { type: "string" },
  edge: { type: "string" },
  "edge-key": { type: "string" },
  "edge-thumbprint": { type: "string" },
  key: { type: "string" },
  listen: { type: "string", multiple: true },
} as const satisfies ParseArgsOptionsConfig;

export function parseMember(args: readonly string[], env: Env, cwd: string): MemberCliOptions {
  const values = strictParse(args, MEMBER_OPTIONS);

  // Name every missing piece at once rather than one per attempt.
  const missing: string[] = REQUIRED.filter(([name]) => !values[name]).map(([, shown]) => shown);
  if (!env.PEER_SECRET) missing.push("PEER_SECRET (in the environment)");
  if (missing.length > 0) throw new CliUsageError(`member needs ${list(missing)}`);

  const site = siteIdSchema.safeParse(values.site);
  if (!site.success) throw new CliUsageError(`--site "${String(values.site)}": ${site.error.issues[0]?.message}`);
  const edgeUrl = httpUrl("--edge", String(values.edge));
  const thumbprint = values["edge-thumbprint"] as string | undefined;
  if (thumbprint !== undefined && !THUMBPRINT.test(thumbprint)) {
    throw new CliUsageError(`--edge-thumbprint wants the edge key's SHA-256 thumbprint (43 base64url characters, as the admin gives it), not "${thumbprint}"`);
  }
  return {
    siteId: site.data,
    workerUrl: httpUrl("--worker", String(values.worker)),
    edgeUrl,
    edgeKey: edgeKeySource(values["edge-key"] as string | undefined, edgeUrl),
    ...(thumbprint === undefined ? {} : { edgeThumbprint: thumbprint }),
    keyFile: keyFileOf(values.key as string | undefined, env, cwd),
    listen: (values.listen as string[] | undefined) ?? DEFAULT_LISTEN,
    peerSecret: env.PEER_SECRET!,
  };
}

/** An RFC 7638 SHA-256 thumbprint: 32 bytes, base64url without padding. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/** A JWK given inline (JSON), a JWKS URL, or by default the edge's own JWKS. */
function edgeKeySource(raw: string | undefined, edgeUrl: string): EdgeKeySource {
  if (raw === undefined) return { jwksUrl: jwksUrl(`${edgeUrl}${JWKS_PATH}`, "--edge") };
  const text = raw.trim();
  if (text.startsWith("{")) {
    try {
      return { jwk: JSON.parse(text) as unknown };
    } catch {
      throw new CliUsageError("--edge-key looks like a JWK but is not valid JSON");
    }
  }
  if (/^https?:\/\//i.test(text)) return { jwksUrl: jwksUrl(httpUrl("--edge-key", text), "--edge-key") };
  throw new CliUsageError(`--edge-key wants the edge's public JWK ('{"kty":"OKP",…}') or the URL of its JWKS, not "${raw}"`);
}

/**
 * The key that checks every membership list cannot come over plain http, where anyone on
 * the way could swap in their own: https, or loopback (a local mesh, a test).
 */
function jwksUrl(url: string, flag: string): string {
  if (!secureOrLoopback(url)) {
    throw new CliUsageError(`will not fetch the edge's key from ${url} over plain http (only https, or http on loopback): use https in ${flag}, or give the key with --edge-key JWK`);
  }
  return url;
}

/** https, or http to this machine only. */
export function secureOrLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === "https:" || (protocol === "http:" && LOOPBACK_HOSTS.includes(hostname));
}

function keyFileOf(key: string | undefined, env: Env, cwd: string): string {
  return key === undefined ? defaultKeyFile(env) : path.resolve(cwd, key);
}

/** No trailing slash: paths starting with "/" are appended to it. */
function httpUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliUsageError(`${flag} wants an http(s) URL, not "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliUsageError(`${flag} wants an http(s) URL, not "${raw}"`);
  return raw.replace(/\/+$/, "");
}

/**
 * Whether a subcommand's arguments ask for its usage (-h or --help anywhere among its
 * options), whatever else they hold: help answers before anything is checked. Read with
 * the subcommand's own options, so that a value is never taken for flags (a thumbprint
 * such as "-hX…" once read as -h).
 */
export function wantsHelp(args: readonly string[], options: ParseArgsOptionsConfig = {}): boolean {
  const { tokens } = parseArgs({ args: withThumbprintValues(args), options, strict: false, allowPositionals: true, tokens: true });
  return tokens.some((t) => t.kind === "option" && (t.name === "help" || t.name === "h"));
}

/**
 * A thumbprint is base64url and may begin with "-": given as the argument after
 * --edge-thumbprint, parseArgs would call it ambiguous. Nothing else looks like one, so
 * it is joined to its flag (`--edge-thumbprint=<T>`) before parsing.
 */
function withThumbprintValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (args[i] === "--edge-thumbprint" && next !== undefined && THUMBPRINT.test(next)) {
      out.push(`--edge-thumbprint=${next}`);
      i++;
    } else {
      out.push(args[i] as string);
    }
  }
  return out;
}

/** node:util's parseArgs, with its errors said in one short line each. */
function strictParse(args: readonly string[], options: ParseArgsOptionsConfig): Record<string, string | boolean | string[] | undefined> {
  try {
    return parseArgs({ args: withThumbprintValues(args), options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | string[] | undefined
    >;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!code?.startsWith("ERR_PARSE_ARGS_")) throw error;
    const message = (error as Error).message;
    const quoted = /'([^' ]+)/.exec(message)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new CliUsageError(`unknown option ${quoted}`);
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new CliUsageError(`unexpected argument "${quoted}"`);
    if (/does not take an argument/.test(message)) throw new CliUsageError(`${quoted} takes no value`);
    throw new CliUsageError(`${quoted} needs a value`);
  }
}

const list = (items: string[]) => (items.length === 1 ? items[0]! : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);
