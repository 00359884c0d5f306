/** The backends niochat speaks. See the package README for each one's quirks. */
export type BackendName = "renum" | "pytake" | "pytake-go" | "conectcrm";

/** A NioChat (Django Channels) endpoint: one per client. */
export type NioChatEndpoint =
  | { kind: "conversation"; id: string }
  | { kind: "painel"; id: string }
  | { kind: "conversasDashboard" }
  | { kind: "userStatus" }
  | { kind: "user"; id: string }
  | { kind: "dashboard" };

export type BackendOption =
  | BackendName
  | { name: "pytake-go"; userId?: string }
  | { name: "niochat"; endpoint: NioChatEndpoint; user?: string };

/** Everything `new NioChatClient(options)` accepts. Unknown fields are an error. */
export interface ClientOptions {
  /** `ws://` or `wss://`, without the token. */
  url: string;
  /** Default `"renum"` (protocol 001). */
  backend?: BackendOption;
  /** A fixed token. Prefer `getToken` for tokens that expire. */
  token?: string;
  /** Asked before every connection attempt; `refresh` is true after the server refused the last token. */
  getToken?: (refresh: boolean) => string | Promise<string>;
  /** Messages kept while offline (default 100). */
  queueCapacity?: number;
  /** Ping every `intervalMs`; dead after `timeoutMs` of silence (defaults 30 s / 10 s). */
  keepAlive?: { intervalMs: number; timeoutMs: number };
  /** Reconnection: 1 s doubling to 32 s, 10 attempts, full jitter by default; `maxAttempts: null` retries forever. */
  reconnect?: {
    initialDelayMs?: number;
    maxDelayMs?: number;
    maxAttempts?: number | null;
    jitter?: "full" | "equal" | "none";
  };
  ackTimeoutMs?: number;
  connectTimeoutMs?: number;
  tokenTimeoutMs?: number;
  maxOutgoingBytes?: number;
  maxIncomingBytes?: number;
  /** A `localStorage` name, per user rather than per tab: messages not yet acknowledged survive a closed tab and are sent by the next client on this name. Each client writes its own key under the name, so tabs never overwrite each other's messages; a tab opened while another on the name has messages unsent sends them as well (at-least-once). */
  persistOutbox?: string;
  /** A name: clients of this page on the same name share one in-memory outbox, so a client that replaces another (a hot reload, a re-mount) sends what it left. Ignored with `persistOutbox`. */
  sharedOutbox?: string;
}

/** A presence status: the three every backend knows, or any other a backend uses (ConectCRM's `"ocupado"`, `"ausente"`), passed through as written. */
export type PresenceStatus = "online" | "away" | "offline" | (string & {});

export type StatusName =
  | "disconnected"
  | "connecting"
  | "connected"
  | "reconnecting"
  | "error"
  | "gave_up"
  | "unauthorized";

export type ConnectionErrorKind =
  | "dns"
  | "refused"
  | "tls"
  | "timeout"
  | "httpStatus"
  | "authRefused"
  | "closed"
  | "keepAliveTimeout"
  | "answerOverdue"
  | "outOfStep"
  | "frameTooLarge"
  | "tokenExpired"
  | "tokenUnavailable"
  | "tokenTimeout"
  | "transport"
  | "other";

export interface ConnectionErrorInfo {
  kind: ConnectionErrorKind;
  message: string;
}

export interface StatusInfo {
  name: StatusName;
  /** `reconnecting`: this attempt's number, from 1. */
  attempt?: number;
  maxAttempts?: number;
  delayMs?: number;
  /** `gave_up`: how many attempts were made. */
  attempts?: number;
  /** `error`: what failed. */
  error?: ConnectionErrorInfo;
}

export interface ChatMessage {
  id: string;
  conversationId: string;
  userId?: string;
  /** The text, when the body has one. */
  text?: string;
  /** The body as the server sent it. */
  content: unknown;
  role?: string;
  createdAt?: string;
  /** Every other field the server sent. */
  extra: Record<string, unknown>;
}

export interface MessageAck {
  conversationId: string;
  messageId: string;
  timestamp?: string;
}

export type StopReason =
  | "gaveUp"
  | "unauthorized"
  | "disconnected"
  | "connectionLost"
  | "superseded"
  | "shutdown";

export type ErrorCode =
  | "QUEUE_FULL"
  | "TOO_LARGE"
  | "EMPTY"
  | "UNSUPPORTED"
  | "NOT_CONNECTED"
  | "CLOSED"
  | "ACK_TIMEOUT"
  | "REJECTED"
  | "NOT_DELIVERED"
  | "INVALID_CONFIG"
  | "STORAGE";

export interface ErrorDetails {
  code: ErrorCode;
  message: string;
  capacity?: number;
  size?: number;
  max?: number;
  command?: string;
  backend?: string;
  timeoutMs?: number;
  serverCode?: string;
  reason?: StopReason;
  stillQueued?: boolean;
  localId?: number;
}

export interface StatusEvent { type: "status"; status: StatusInfo }
export interface SessionEvent { type: "session"; userId?: string; serverTime?: string; sessionId?: string }
export interface MessageEvent { type: "message"; message: ChatMessage; origin: "live" | "sync" }
export interface MessageUpdatedEvent { type: "messageUpdated"; message: ChatMessage }
export interface MessageDeletedEvent { type: "messageDeleted"; messageId: string; conversationId?: string; deletedBy?: string; message?: ChatMessage }
export interface MessageStatusEvent { type: "messageStatus"; messageId: string; conversationId?: string; status: string; timestamp?: string }
export interface OwnMessageCopyEvent { type: "ownMessageCopy"; message: ChatMessage; localId: number }
export interface OutgoingEvent {
  type: "outgoing";
  localId: number;
  conversationId: string;
  state: "queued" | "sent" | "acknowledged" | "failed" | "held";
  ack?: MessageAck;
  error?: ErrorDetails;
  reason?: StopReason;
}
export interface TypingEvent { type: "typing"; userId: string; conversationId: string; isTyping: boolean }
export interface ReadEvent { type: "read"; userId: string; conversationId: string; messageId: string; readAt?: string }
export interface PresenceEvent { type: "presence"; userId: string; status: PresenceStatus; timestamp?: string }
export interface HistoryGapEvent { type: "historyGap"; conversationId: string; after?: string; reason: "syncTooLarge" | "syncTimedOut" }
export interface ServerNoticeEvent { type: "serverNotice"; code?: string; message: string }
export interface BackendEvent { type: "backend"; backend: "pytake" | "pytake-go" | "conectcrm" | "niochat" | "custom"; event: unknown }
export interface UnknownEvent { type: "unknown"; kind?: string; raw: unknown }
export interface MalformedEvent { type: "malformed"; error: string; raw: string }
export interface StorageFailedEvent { type: "storageFailed"; error: string }

/** Every event, by its `type`, which is also the name `on()` takes. */
export interface EventMap {
  status: StatusEvent;
  session: SessionEvent;
  message: MessageEvent;
  messageUpdated: MessageUpdatedEvent;
  messageDeleted: MessageDeletedEvent;
  messageStatus: MessageStatusEvent;
  ownMessageCopy: OwnMessageCopyEvent;
  outgoing: OutgoingEvent;
  typing: TypingEvent;
  read: ReadEvent;
  presence: PresenceEvent;
  historyGap: HistoryGapEvent;
  serverNotice: ServerNoticeEvent;
  backend: BackendEvent;
  unknown: UnknownEvent;
  malformed: MalformedEvent;
  storageFailed: StorageFailedEvent;
}

export type EventName = keyof EventMap;
export type NioChatEvent = EventMap[EventName];

export interface Metrics {
  rttMs?: number;
  reconnects: number;
  attempts: number;
  queueDepth: number;
  inFlight: number;
  timeReconnectingMs: number;
  connectedForMs?: number;
  lastClose?: { code: number | null; reason: string };
  lastError?: ConnectionErrorInfo;
}

/**
 * A chat connection that reconnects by itself, queues messages offline and delivers each
 * message once. Call `connect()` to start. Promises reject with a `NioChatError`.
 */
export class NioChatClient {
  constructor(options: ClientOptions);
  /** Starts connecting, and reconnecting after losses, until `disconnect()`. */
  connect(): void;
  /** Closes the connection and stops reconnecting; queued messages stay for the next `connect()`. */
  disconnect(): Promise<void>;
  /** Reconnects now on a fresh schedule, also after giving up or being refused. */
  reconnect(): void;
  /** The network is back: reconnect at once, or check a live connection (after `resume()` if suspended). The browser's `online` event does this by itself. */
  networkAvailable(): void;
  /** The network is gone: no attempt and no ping until `networkAvailable()`. The browser's `offline` event does this by itself. */
  networkLost(): void;
  /** Close cleanly and wait until `resume()` (the back/forward cache does this by itself). */
  suspend(): void;
  /** Reconnect at once after `suspend()`, and sync what was missed; after `networkLost()`, only once `networkAvailable()` says the network is back. */
  resume(): void;
  /** Sends a chat message; resolves with the server's acknowledgement (offline: after the reconnect). */
  sendMessage(conversationId: string, text: string): Promise<MessageAck>;
  /** Queues a chat message and resolves with its local id at once; follow it with `outgoing` events. */
  queueMessage(conversationId: string, text: string): Promise<number>;
  /** Joins now or at the next connect, and again after every reconnect. */
  join(conversationId: string): Promise<void>;
  leave(conversationId: string): Promise<void>;
  setTyping(conversationId: string, isTyping: boolean): Promise<void>;
  markRead(conversationId: string, messageId: string): Promise<void>;
  /** Any status string is sent as written (see `PresenceStatus`). */
  setPresence(status: PresenceStatus): Promise<void>;
  /** Asks for the messages after `after` (default: the last seen); resolves with how many came. */
  sync(conversationId: string, after?: string): Promise<number>;
  /** Resolves with the round trip in milliseconds. */
  ping(): Promise<number>;
  /** The current status. */
  readonly status: StatusInfo;
  /** The backend's name. */
  readonly backend: string;
  /** A snapshot for a "connection details" panel. */
  metrics(): Promise<Metrics>;
  /** Calls `listener` with every event of this type (`"*"`: every event). */
  on<K extends EventName>(event: K, listener: (event: EventMap[K]) => void): void;
  on(event: "*", listener: (event: NioChatEvent) => void): void;
  off<K extends EventName>(event: K, listener: (event: EventMap[K]) => void): void;
  off(event: "*", listener: (event: NioChatEvent) => void): void;
  /** Closes the connection and frees the client's memory. */
  free(): void;
}
