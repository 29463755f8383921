/**
 * `npm run federation -- <command>`: what a member (a partner's contact center, or a
 * site of the enterprise) runs on its own machine.
 *
 *   keygen [--key FILE] [--force]   make the peer's Ed25519 key; prints the peer id to register
 *   member ...                      run the member's peer, bridged to its own site Worker
 *   <command> --help                that command's usage
 */
import { existsSync } from "node:fs";
import { CliUsageError, JWKS_PATH, KEYGEN_OPTIONS, MEMBER_OPTIONS, parseKeygen, parseMember, wantsHelp } from "./cli-options.ts";

const KEYGEN_USAGE = `Usage: npm run federation -- keygen [--key FILE] [--force]

Creates the peer's key (mode 0600) and prints its peer id: send that id to the
federation's admin to be registered as a member. The key goes to
$XDG_CONFIG_HOME/callback-mesh/peer.key (else ~/.config/callback-mesh/peer.key)
unless --key says otherwise; an existing key is never replaced without --force.`;

const MEMBER_USAGE = `Usage: npm run federation -- member --site ID --worker URL --edge URL
         [--edge-thumbprint T] [--edge-key JWK|URL] [--key FILE] [--listen MULTIADDR]...
         (PEER_SECRET from the environment)

Runs the peer: it fetches the membership list the edge signed (checked with the edge's
public key: --edge-key as a JWK, or the URL of a JWKS; by default <--edge>${JWKS_PATH}),
gossips this site's digest, and hands the digests of other members to the site Worker
at --worker. A JWKS is fetched over https only (plain http on loopback alone).
--edge-thumbprint T is the edge key's thumbprint (RFC 7638, SHA-256, base64url: the
"kid" the edge publishes), which the federation's admin gives you: member starts only
if the key it fetched or was given has it. --key defaults as for keygen.`;

const USAGE = `${KEYGEN_USAGE}\n\n${MEMBER_USAGE}`;

const HINT = "(npm run federation -- --help for usage)";

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "keygen") await (wantsHelp(rest, KEYGEN_OPTIONS) ? usage(KEYGEN_USAGE) : keygen(rest));
  else if (command === "member") await (wantsHelp(rest, MEMBER_OPTIONS) ? usage(MEMBER_USAGE) : member(rest));
  else if (command === undefined || command === "--help" || command === "-h") usage(USAGE);
  else throw new CliUsageError(`unknown command "${command}": keygen or member`);
} catch (error) {
  // One line either way: a usage slip (2) or something that went wrong (1); no stack for either.
  const usage = error instanceof CliUsageError;
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}${usage ? ` ${HINT}` : ""}\n`);
  process.exit(usage ? 2 : 1);
}

function usage(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function keygen(args: string[]): Promise<void> {
  const { keyFile, force } = parseKeygen(args, process.env, process.cwd());
  // Loaded here: the member's libp2p stack is not needed to parse flags or print usage.
  const { createKey, KeyExistsError } = await import("./peer/keys.ts");
  try {
    const peerId = await createKey(keyFile, { force });
    // Where on stderr, the peer id alone on stdout, so `$(… keygen)` captures just the id.
    process.stderr.write(`new key in ${keyFile} (mode 0600, keep it private); its peer id, to register:\n`);
    process.stdout.write(`${peerId}\n`);
  } catch (error) {
    if (!(error instanceof KeyExistsError)) throw error;
    throw new Error(`${error.message}: keygen never replaces a key (a new key is a new, unregistered member); --force to do it anyway`);
  }
}

async function member(args: string[]): Promise<void> {
  const options = parseMember(args, process.env, process.cwd());
  // A key made here would be a member nobody registered: ask for keygen instead.
  if (!existsSync(options.keyFile)) {
    throw new Error(`no key at ${options.keyFile}: make one with \`npm run federation -- keygen\` (same --key, if any) and have its peer id registered`);
  }
  const { resolveEdgeKey } = await import("./edge-key.ts");
  const edgeKey = await resolveEdgeKey(options.edgeKey, { thumbprint: options.edgeThumbprint });
  process.stdout.write(
    options.edgeThumbprint
      ? `edge key ${edgeKey.thumbprint} (from ${edgeKey.from}), the --edge-thumbprint given\n`
      : `edge key ${edgeKey.thumbprint} (from ${edgeKey.from}): compare it with the admin's, or pass it as --edge-thumbprint\n`,
  );
  const { startMember } = await import("./member.ts");
  const running = await startMember({
    siteId: options.siteId,
    workerUrl: options.workerUrl,
    peerSecret: options.peerSecret,
    edgeUrl: options.edgeUrl,
    edgePublicKey: edgeKey.jwk,
    keyFile: options.keyFile,
    listen: options.listen,
    publishes: options.siteId !== "edge",
    log: (m) => process.stdout.write(`${m}\n`),
  });
  process.stdout.write(`peer ${running.peer.peerId}\n${running.peer.addrs().join("\n")}\n`);
  const stop = () => void running.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
