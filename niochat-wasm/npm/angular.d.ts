import type { InjectionToken, Provider } from "@angular/core";
import type { BehaviorSubject, Observable } from "rxjs";
import type { ClientOptions, EventMap, NioChatClient, NioChatError, StatusInfo } from "./index.js";

export interface NioChatOptions extends ClientOptions {
  /** Which shared client: services with the same key share one connection (default: url, backend, persistOutbox and token; with `getToken`, give a key naming the signed-in user). */
  key?: string;
  /** Connect as soon as the client is made (default `true`). */
  autoConnect?: boolean;
}

export declare class NioChatService {
  /** The client, once the WebAssembly is loaded (`null` before). */
  readonly client: NioChatClient | null;
  /** Emits the client once it exists. */
  readonly client$: Observable<NioChatClient>;
  /** The current status, then every change. */
  readonly status$: BehaviorSubject<StatusInfo>;
  /** Why the client could not be made (`null` while it is, or is being, made). */
  readonly error$: BehaviorSubject<NioChatError | Error | null>;
  /** Every event of `type` while subscribed. */
  events<K extends keyof EventMap>(type: K): Observable<EventMap[K]>;
  /** Gives the client back (done by itself when the injector is destroyed). */
  destroy(): void;
}

/** Inject it with `inject(NIOCHAT)`. */
export declare const NIOCHAT: InjectionToken<NioChatService>;

/** Providers making `NIOCHAT` available to the application. */
export declare function provideNioChat(options: NioChatOptions): Provider[];
