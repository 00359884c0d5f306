import type { ClientOptions, EventMap, NioChatClient, StatusInfo } from "./index.js";

export interface UseNioChatOptions extends ClientOptions {
  /** Which shared client: components with the same key share one connection (default: url, backend and persistOutbox). */
  key?: string;
  /** Connect as soon as the client is made (default `true`); otherwise call `client.connect()`. */
  autoConnect?: boolean;
}

/** The page's client for these options (`null` until the WebAssembly is loaded) and its status. */
export function useNioChat(options: UseNioChatOptions): { client: NioChatClient | null; status: StatusInfo };

/** Calls `handler` with every event of `type` while the component is mounted. */
export function useNioChatEvent<K extends keyof EventMap>(
  client: NioChatClient | null,
  type: K,
  handler: (event: EventMap[K]) => void,
): void;
