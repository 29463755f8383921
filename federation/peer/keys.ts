/**
 * A member's identity: one Ed25519 key per member, kept in a file. The peer id
 * derived from it is what the signed membership list names, so the file is
 * created once and reused on every start (a new key would be a new, unknown member).
 */
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { PrivateKey } from "@libp2p/interface";

/** Reads the key in `keyFile`, or creates it (mode 0600) when the file does not exist yet. */
export async function loadOrCreateKey(keyFile: string): Promise<PrivateKey> {
  const existing = await readKey(keyFile);
  if (existing) return existing;
  const key = await generateKeyPair("Ed25519");
  await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  // Write aside, then link into place: link fails if the file appeared meanwhile, so two
  // processes racing on a first start agree on one key, and a crash never leaves half a key.
  const tmp = `${keyFile}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600, flag: "wx" });
  try {
    await link(tmp, keyFile);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const winner = await readKey(keyFile);
    if (!winner) throw error;
    return winner;
  } finally {
    await unlink(tmp);
  }
}

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
