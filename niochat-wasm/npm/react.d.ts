import type { ClientOptions, EventMap, NioChatClient, NioChatError, StatusInfo } from "./index.js";

export interface UseNioChatOptions extends ClientOptions {
  /** Which shared client: components with the same key share one connection (default: url, backend, persistOutbox and token; with `getToken`, give a key naming the signed-in user). */
  key?: string;
  /** Connect as soon as the client is made (default `true`); otherwise call `client.connect()`. */
  autoConnect?: boolean;
}

/** The page's client for these options (`null` until the WebAssembly is loaded, or when it could not be made: see `error`) and its status. */
export function useNioChat(options: UseNioChatOptions): {
  client: NioChatClient | null;
  status: StatusInfo;
  /** Why the client could not be made (bad options, an unreadable persisted outbox, the WebAssembly not loading). */
  error: NioChatError | Error | null;
};

/** Calls `handler` with every event of `type` while the component is mounted. */
export function useNioChatEvent<K extends keyof EventMap>(
  client: NioChatClient | null,
  type: K,
  handler: (event: EventMap[K]) => void,
): void;
