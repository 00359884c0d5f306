// React bindings: `useNioChat(options)` gives the page's client for these options, its
// status, and the error that kept it from being made; `useNioChatEvent(client, type,
// handler)` listens while the component is mounted.
import { useEffect, useRef, useState } from "react";
import { acquire, keyOf, release } from "./shared.js";

export function useNioChat(options) {
  const key = keyOf(options);
  const latest = useRef(options);
  latest.current = options;
  const [client, setClient] = useState(null);
  const [status, setStatus] = useState({ name: "disconnected" });
  const [error, setError] = useState(null);
  useEffect(() => {
    const entry = acquire(latest.current);
    let mounted = true;
    const onStatus = (event) => setStatus(event.status);
    setClient(null);
    setError(null);
    setStatus({ name: "disconnected" });
    entry.client.then(
      (client) => {
        if (!mounted) return;
        client.on("status", onStatus);
        setClient(client);
        setStatus(client.status);
      },
      (failed) => mounted && setError(failed),
    );
    return () => {
      mounted = false;
      entry.client.then(
        (client) => client.off("status", onStatus),
        () => {},
      );
      release(entry);
    };
  }, [key]);
  return { client, status, error };
}

export function useNioChatEvent(client, type, handler) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!client) return undefined;
    const listener = (event) => latest.current(event);
    client.on(type, listener);
    return () => client.off(type, listener);
  }, [client, type]);
}
