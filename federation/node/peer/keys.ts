/**
 * A member's identity: one Ed25519 key per member, kept in a file. The peer id
 * derived from it is what the signed membership list names, so the file is
 * created once and reused on every start (a new key would be a new, unknown member).
 */
import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { PrivateKey } from "@libp2p/interface";

/** Reads the key in `keyFile`, or creates it (mode 0600) when the file does not exist yet. */
export async function loadOrCreateKey(keyFile: string): Promise<PrivateKey> {
  const existing = await readKey(keyFile);
  if (existing) return existing;
  const key = await generateKeyPair("Ed25519");
  try {
    await putKeyFile(keyFile, key);
    return key;
  } catch (error) {
    if (!alreadyExists(error)) throw error;
    // Another caller made it first: its key is the member's.
    const winner = await readKey(keyFile);
    if (!winner) throw error;
    return winner;
  }
}

/** Thrown by createKey when the file already holds a key and replacing it was not asked for. */
export class KeyExistsError extends Error {
  name = "KeyExistsError";
  readonly keyFile: string;
  /** The existing key's peer id, or null if the file does not hold a readable key. */
  readonly peerId: string | null;
  constructor(keyFile: string, peerId: string | null) {
    super(`${keyFile} already exists${peerId ? ` (peer id ${peerId})` : ""}`);
    this.keyFile = keyFile;
    this.peerId = peerId;
  }
}

/**
 * Makes a new key in `keyFile` (mode 0600, its folder 0700 when created) and returns its
 * peer id. An existing file is replaced only with `force`: a new key is a new identity,
 * and the old one's membership is lost with it.
 */
export async function createKey(keyFile: string, { force = false } = {}): Promise<string> {
  const key = await generateKeyPair("Ed25519");
  try {
    await putKeyFile(keyFile, key, { replace: force });
  } catch (error) {
    if (!alreadyExists(error)) throw error;
    const existing = await readKey(keyFile).catch(() => null);
    throw new KeyExistsError(keyFile, existing ? peerIdFromPrivateKey(existing).toString() : null);
  }
  return peerIdFromPrivateKey(key).toString();
}

/**
 * Puts `key` at `keyFile` (mode 0600; its folder made 0700): written aside under a name of its
 * own, then linked into place, so a crash never leaves half a key and link fails (EEXIST) when
 * the file exists, even one another caller made a moment ago; with `replace`, renamed over it
 * in one step instead.
 */
async function putKeyFile(keyFile: string, key: PrivateKey, { replace = false } = {}): Promise<void> {
  await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  // Unique per call: callers racing in one process (the same pid, the same millisecond) must not meet here.
  const tmp = `${keyFile}.${randomUUID()}.tmp`;
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600, flag: "wx" });
  try {
    if (replace) await rename(tmp, keyFile);
    else await link(tmp, keyFile);
  } finally {
    // Gone already after a rename.
    await unlink(tmp).catch(() => {});
  }
}

const alreadyExists = (error: unknown) => (error as NodeJS.ErrnoException).code === "EEXIST";

/** The peer id (base58 string) of the member whose key is in `keyFile`; creates the key if missing. */
export async function peerIdOf(keyFile: string): Promise<string> {
  return peerIdFromPrivateKey(await loadOrCreateKey(keyFile)).toString();
}

async function readKey(keyFile: string): Promise<PrivateKey | null> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (error) {
    throw new Error(`${keyFile} does not hold a libp2p private key`, { cause: error });
  }
  if (key.type !== "Ed25519") throw new Error(`${keyFile} holds a ${key.type} key; members use Ed25519`);
  return key;
}
