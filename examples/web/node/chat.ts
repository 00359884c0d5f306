// niochat from a Node script: `node --experimental-websocket dist/chat.js <url> <token> <room>`
// (Node 22+ has WebSocket without the flag). Joins a room, sends a message, prints what
// happens, and exits. Strict TypeScript, no casts: the package's types carry it.
import { readFile } from "node:fs/promises";
import {
  ready,
  NioChatClient,
  isNioChatError,
  type ClientOptions,
  type ErrorCode,
  type EventMap,
  type MessageAck,
} from "niochat";

const [url, token, room] = process.argv.slice(2);
if (url === undefined || token === undefined || room === undefined) {
  console.error("usage: chat.js <ws url> <token> <room>");
  process.exit(2);
}

// Node cannot fetch a file: URL; hand the WebAssembly bytes over instead.
await ready(await readFile(new URL(import.meta.resolve("niochat/niochat_wasm_bg.wasm"))));

const options: ClientOptions = {
  url,
  getToken: async (refresh: boolean) => (refresh ? token : token),
  reconnect: { initialDelayMs: 200, maxAttempts: 5, jitter: "full" },
};
const client = new NioChatClient(options);

const onStatus = (event: EventMap["status"]): void => console.log(`status: ${event.status.name}`);
client.on("status", onStatus);
client.on("outgoing", ({ localId, state }) => console.log(`message ${localId}: ${state}`));
client.on("*", (event) => {
  if (event.type === "malformed") console.warn(`unreadable frame: ${event.error}`);
});

function explain(code: ErrorCode): string {
  switch (code) {
    case "QUEUE_FULL":
      return "too many messages waiting";
    case "NOT_DELIVERED":
      return "the client stopped trying";
    default:
      return code;
  }
}

client.connect();
try {
  await client.join(room);
  const ack: MessageAck = await client.sendMessage(room, "hello from Node");
  console.log(`stored as ${ack.messageId} in ${ack.conversationId}`);
  const rtt: number = await client.ping();
  console.log(`ping ${rtt.toFixed(1)} ms; queue ${(await client.metrics()).queueDepth}`);
} catch (error: unknown) {
  if (isNioChatError(error)) {
    console.error(`${error.code}: ${explain(error.code)} (${error.details.message})`);
  }
  process.exitCode = 1;
} finally {
  client.off("status", onStatus);
  await client.disconnect();
  client.free();
}
