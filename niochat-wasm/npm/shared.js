// One client per key for the whole page, shared by every component that asks for it.
//
// Frameworks mount, unmount and re-mount components freely (React's StrictMode mounts
// twice in development, hot module replacement re-runs modules): a component that owned
// its client would open a second connection each time. Here the client lives in a registry
// on `globalThis` (which survives hot reloads), counted by its users; the last user leaving
// closes it one second later, unless someone takes it again meanwhile. Its outbox is a
// shared in-memory store named by the key, so a replacement client on the same key sends
// what the last one left.
//
// The key names whose client it is: the URL, the backend, the persisted outbox's name and
// the `token` (as a digest: the token itself is never a key or a name). Another token is
// another client, so that a user signing in after another never gets the other's connection
// or unsent messages; a token that merely rotates gets a new client too, without the last
// one's unsent messages, so rotating tokens belong in `getToken`. A `getToken` function
// cannot be told apart from the next: give a `key` (or a `persistOutbox`) that names the
// signed-in user.
import { ready, NioChatClient } from "./index.js";

const REGISTRY = Symbol.for("niochat.clients");
const registry = (globalThis[REGISTRY] ??= new Map());
const CLOSE_AFTER_MS = 1000;

/** FNV-1a, 64 bits, as hex: tells tokens apart without keeping them. */
function digest(text) {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16);
}

export function keyOf(options) {
  if (options.key !== undefined) return options.key;
  const backend = typeof options.backend === "object" ? JSON.stringify(options.backend) : options.backend ?? "renum";
  const credential = typeof options.token === "string" ? digest(options.token) : "";
  return `${options.url}|${backend}|${options.persistOutbox ?? ""}|${credential}`;
}

/**
 * Takes the client for `options` (made and connected on first use). `entry.client` rejects
 * with the NioChatError that kept it from being made; such an entry is not kept, so the next
 * `acquire` tries again.
 */
export function acquire(options) {
  const key = keyOf(options);
  let entry = registry.get(key);
  if (entry) {
    clearTimeout(entry.closing);
    entry.users += 1;
    return entry;
  }
  const { key: _key, autoConnect = true, ...clientOptions } = options;
  entry = { key, users: 1, closing: undefined };
  entry.client = ready().then(() => {
    const client = new NioChatClient({ sharedOutbox: key, ...clientOptions });
    if (autoConnect) client.connect();
    return client;
  });
  const made = entry;
  entry.client.catch(() => {
    if (registry.get(key) === made) registry.delete(key);
  });
  registry.set(key, entry);
  return entry;
}

/** Gives the client back; the last user's leaving closes it a moment later. */
export function release(entry) {
  entry.users -= 1;
  if (entry.users > 0) return;
  entry.closing = setTimeout(() => {
    if (entry.users > 0 || registry.get(entry.key) !== entry) return;
    registry.delete(entry.key);
    entry.client.then(
      (client) => client.disconnect().finally(() => client.free()),
      () => {},
    );
  }, CLOSE_AFTER_MS);
}
