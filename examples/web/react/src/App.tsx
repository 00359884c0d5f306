import { useEffect, useState, type FormEvent } from "react";
import { isNioChatError, type ChatMessage } from "niochat";
import { useNioChat, useNioChatEvent } from "niochat/react";

/** Where to connect, from the page's query: `?url=ws://…&token=…&room=…&user=…`. */
function settings() {
  const query = new URLSearchParams(window.location.search);
  const number = (name: string) => {
    const value = query.get(name);
    return value === null ? undefined : Number(value);
  };
  return {
    url: query.get("url") ?? "ws://127.0.0.1:8000/ws",
    token: query.get("token") ?? "",
    room: query.get("room") ?? "support",
    user: query.get("user") ?? "agent",
    keepAliveMs: number("keepAliveMs"),
    retryMs: number("retryMs") ?? 200,
    jitter: query.get("jitter") === "none" ? ("none" as const) : ("full" as const),
    autoconnect: query.get("autoconnect") !== "0",
  };
}

const config = settings();

export function App() {
  const { client, status } = useNioChat({
    url: config.url,
    token: config.token,
    key: `example:${config.user}`,
    autoConnect: config.autoconnect,
    // Messages typed before the tab closes are sent when it opens again.
    persistOutbox: `niochat-example-outbox:${config.user}`,
    reconnect: {
      initialDelayMs: config.retryMs,
      maxDelayMs: Math.max(1000, config.retryMs),
      maxAttempts: null,
      jitter: config.jitter,
    },
    keepAlive: config.keepAliveMs
      ? { intervalMs: config.keepAliveMs, timeoutMs: config.keepAliveMs }
      : undefined,
  });
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [draft, setDraft] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!client) return;
    client.join(config.room).catch((error: unknown) => {
      if (isNioChatError(error) && error.code === "NOT_DELIVERED") return;
      setProblem(String(error));
    });
  }, [client]);

  useNioChatEvent(client, "message", ({ message }) => {
    if (message.conversationId === config.room) setMessages((all) => [...all, message]);
  });

  const send = (event: FormEvent) => {
    event.preventDefault();
    const text = draft.trim();
    if (!client || text === "") return;
    setDraft("");
    // Queued while offline: the promise settles once the server stored it.
    client.sendMessage(config.room, text).catch((error: unknown) => {
      // Not connected (autoConnect off): it stays queued, in localStorage, for the next page.
      if (isNioChatError(error) && error.details.stillQueued) return;
      if (isNioChatError(error)) setProblem(`${error.code}: ${error.message}`);
    });
  };

  return (
    <main>
      <h1>
        {config.user} in {config.room}
      </h1>
      <p data-testid="status">{status.name}</p>
      {problem && <p data-testid="problem">{problem}</p>}
      <ul data-testid="messages">
        {messages.map((message) => (
          <li key={message.id} data-testid="message">
            {message.userId}: {message.text}
          </li>
        ))}
      </ul>
      <form onSubmit={send}>
        <input
          data-testid="draft"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder="Write a message"
        />
        <button type="submit">Send</button>
      </form>
    </main>
  );
}
