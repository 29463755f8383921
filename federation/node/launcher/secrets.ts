/**
 * The local mesh's secrets. Generated once and kept in the state folder, so
 * tokens a developer issued (and the admin token they copied) survive restarts;
 * `--fresh` deletes them along with the Durable Object state.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { WorkerPlan } from "./options.ts";

export const SECRETS_FILE = "secrets.json";

/** Per Worker: each signs its own JWTs (SITE_/EDGE_JWT_SECRET) and has its own peer bridge. */
export interface WorkerSecrets {
  jwtSecret: string;
  peerSecret: string;
  /** A site's own member key (Ed25519 JWK JSON): it signs its agents' tokens; its public half is registered with the member. */
  memberKey?: string;
}

export interface MeshSecrets {
  MESH_ADMIN_TOKEN: string;
  /** Where the admin token came from, so the CLI can say so. */
  adminTokenSource: "env" | "state";
  /** The edge's Ed25519 key pair (JWK JSON) that signs the membership list and its calls to sites; the public half goes everywhere. */
  EDGE_MEMBERSHIP_KEY: string;
  EDGE_MEMBERSHIP_PUBLIC_KEY: string;
  workers: Record<string, WorkerSecrets>;
}

/** On disk. Never holds an admin token that came from the environment. */
interface StoredSecrets {
  version: 1;
  adminToken: string;
  /** Written by versions that shared one secret between the edge and every site; no longer read. */
  cloudSecret?: string;
  /** Added after the first version of this file; made on first need. */
  membershipKey?: { privateJwk: string; publicJwk: string };
  workers: Record<string, WorkerSecrets>;
}

const newSecret = () => randomBytes(32).toString("base64url");

/**
 * Reads the kept secrets, adds any that are missing (a first run, or a new
 * site from a larger `--sites`), and writes the file back only if it changed.
 */
export async function loadSecrets(stateDir: string, workers: readonly WorkerPlan[], envAdminToken?: string): Promise<MeshSecrets> {
  const file = path.join(stateDir, SECRETS_FILE);
  const stored = await readStored(file);
  let changed = stored === null;
  const next: StoredSecrets = stored ?? { version: 1, adminToken: newSecret(), workers: {} };
  if (!next.membershipKey) {
    next.membershipKey = newMembershipKey();
    changed = true;
  }
  for (const { id, kind } of workers) {
    if (!next.workers[id]) {
      next.workers[id] = { jwtSecret: newSecret(), peerSecret: newSecret() };
      changed = true;
    }
    // Added after the first version of this file: a site's member key, made on first need.
    if (kind === "site" && !next.workers[id].memberKey) {
      next.workers[id].memberKey = newMembershipKey().privateJwk;
      changed = true;
    }
  }
  if (changed) await writeStored(file, next);
  return {
    MESH_ADMIN_TOKEN: envAdminToken ?? next.adminToken,
    adminTokenSource: envAdminToken ? "env" : "state",
    EDGE_MEMBERSHIP_KEY: next.membershipKey.privateJwk,
    EDGE_MEMBERSHIP_PUBLIC_KEY: next.membershipKey.publicJwk,
    workers: next.workers,
  };
}

/** An Ed25519 key pair as JWK JSON (the edge's membership key; a site's member key uses the private half). */
function newMembershipKey(): { privateJwk: string; publicJwk: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateJwk: JSON.stringify(privateKey.export({ format: "jwk" })), publicJwk: JSON.stringify(publicKey.export({ format: "jwk" })) };
}

async function readStored(file: string): Promise<StoredSecrets | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<StoredSecrets>;
  // A damaged file must not silently become new secrets: every token issued so far would die.
  if (parsed.version !== 1 || typeof parsed.adminToken !== "string" || typeof parsed.workers !== "object") {
    throw new Error(`${file} is not a secrets file this launcher wrote; fix it or start with --fresh`);
  }
  return parsed as StoredSecrets;
}

async function writeStored(file: string, secrets: StoredSecrets): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  // Write then rename, so a crash never leaves half a file; 0600 because these are credentials.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}
