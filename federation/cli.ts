/**
 * `npm run federation -- <command>`: what a member (a partner's contact center, or a
 * site of the enterprise) runs on its own machine.
 *
 *   keygen [--key FILE]   make (or read) the peer's Ed25519 key; prints the peer id to register
 *   member ...            run the member's peer, bridged to its own site Worker
 */
import { parseArgs } from "node:util";
import { startMember } from "./member.ts";
import { peerIdOf } from "./peer/peer.ts";

const USAGE = `Usage:
  npm run federation -- keygen [--key FILE]
  npm run federation -- member --site ID --worker URL --edge URL --edge-key JWK [--key FILE]
                               [--listen MULTIADDR]... (PEER_SECRET from the environment)

keygen   creates the peer's key once (default ./peer.key, mode 0600) and prints its peer id:
         send that id to the federation's admin to be registered as a member.
member   runs the peer: it fetches the membership list the edge signed (checked with
         --edge-key, the edge's public JWK), gossips this site's digest, and hands the
         digests of other members to the site Worker at --worker.`;

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "keygen") {
    const { values } = parseArgs({ args: rest, options: { key: { type: "string", default: "peer.key" } } });
    process.stdout.write(`${await peerIdOf(values.key)}\n`);
  } else if (command === "member") {
    const { values } = parseArgs({
      args: rest,
      options: {
        site: { type: "string" },
        worker: { type: "string" },
        edge: { type: "string" },
        "edge-key": { type: "string" },
        key: { type: "string", default: "peer.key" },
        listen: { type: "string", multiple: true, default: ["/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/tcp/4002/ws"] },
      },
    });
    const secret = process.env.PEER_SECRET;
    if (!values.site || !values.worker || !values.edge || !values["edge-key"] || !secret) throw new Error("missing an option or PEER_SECRET");
    const member = await startMember({
      siteId: values.site,
      workerUrl: values.worker.replace(/\/$/, ""),
      peerSecret: secret,
      edgeUrl: values.edge.replace(/\/$/, ""),
      edgePublicKey: JSON.parse(values["edge-key"]),
      keyFile: values.key,
      listen: values.listen,
      publishes: values.site !== "edge",
      log: (m) => process.stdout.write(`${m}\n`),
    });
    process.stdout.write(`peer ${member.peer.peerId}\n${member.peer.addrs().join("\n")}\n`);
    const stop = () => void member.stop().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } else {
    process.stdout.write(`${USAGE}\n`);
    process.exit(command === undefined || command === "--help" ? 0 : 2);
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
  process.exit(2);
}
