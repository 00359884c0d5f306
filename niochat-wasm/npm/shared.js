// One client per key for the whole page, shared by every component that asks for it.
//
// Frameworks mount, unmount and re-mount components freely (React's StrictMode mounts
// twice in development, hot module replacement re-runs modules): a component that owned
// its client would open a second connection each time. Here the client lives in a registry
// on `globalThis` (which survives hot reloads), counted by its users; the last user leaving
// closes it one second later, unless someone takes it again meanwhile. Its outbox is a
// shared in-memory store named by the key, so a replacement client sends what it left.
import { ready, NioChatClient } from "./index.js";

const REGISTRY = Symbol.for("niochat.clients");
const registry = (globalThis[REGISTRY] ??= new Map());
const CLOSE_AFTER_MS = 1000;

export function keyOf(options) {
  const backend = typeof options.backend === "object" ? JSON.stringify(options.backend) : options.backend ?? "renum";
  return options.key ?? `${options.url}|${backend}|${options.persistOutbox ?? ""}`;
}

/** Takes the client for `options` (made and connected on first use). */
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
    entry.client.then((client) => client.disconnect().finally(() => client.free()));
  }, CLOSE_AFTER_MS);
}
