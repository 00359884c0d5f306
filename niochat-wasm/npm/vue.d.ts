import type { MaybeRefOrGetter, Ref, ShallowRef } from "vue";
import type { ClientOptions, EventMap, NioChatClient, NioChatError, StatusInfo } from "./index.js";

export interface UseNioChatOptions extends ClientOptions {
  /** Which shared client: components with the same key share one connection (default: url, backend, persistOutbox and token; with `getToken`, give a key naming the signed-in user). */
  key?: string;
  /** Connect as soon as the client is made (default `true`); otherwise call `client.connect()`. */
  autoConnect?: boolean;
}

/** Refs to the page's client for these options (`null` until loaded), its status and why it could not be made. Pass a getter (`() => ({ ... })`) or a ref for options that change: a new key gives another client. */
export function useNioChat(options: MaybeRefOrGetter<UseNioChatOptions>): {
  client: ShallowRef<NioChatClient | null>;
  status: Ref<StatusInfo>;
  error: ShallowRef<NioChatError | Error | null>;
};

/** Calls `handler` with every event of `type` while the component lives. */
export function useNioChatEvent<K extends keyof EventMap>(
  client: Readonly<Ref<NioChatClient | null>>,
  type: K,
  handler: (event: EventMap[K]) => void,
): void;
