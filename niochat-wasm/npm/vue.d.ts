import type { Ref, ShallowRef } from "vue";
import type { ClientOptions, EventMap, NioChatClient, StatusInfo } from "./index.js";

export interface UseNioChatOptions extends ClientOptions {
  /** Which shared client: components with the same key share one connection. */
  key?: string;
  /** Connect as soon as the client is made (default `true`); otherwise call `client.connect()`. */
  autoConnect?: boolean;
}

/** Refs to the page's client for these options (`null` until loaded) and its status. */
export function useNioChat(options: UseNioChatOptions): {
  client: ShallowRef<NioChatClient | null>;
  status: Ref<StatusInfo>;
};

/** Calls `handler` with every event of `type` while the component lives. */
export function useNioChatEvent<K extends keyof EventMap>(
  client: Readonly<Ref<NioChatClient | null>>,
  type: K,
  handler: (event: EventMap[K]) => void,
): void;
