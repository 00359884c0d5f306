// Vue bindings: `useNioChat(options)` gives refs to the page's client for these options and
// its status; `useNioChatEvent(client, type, handler)` listens while the component lives.
import { onBeforeUnmount, ref, shallowRef, watch } from "vue";
import { acquire, release } from "./shared.js";

export function useNioChat(options) {
  const client = shallowRef(null);
  const status = ref({ name: "disconnected" });
  const entry = acquire(options);
  let mounted = true;
  const onStatus = (event) => {
    status.value = event.status;
  };
  entry.client.then((made) => {
    if (!mounted) return;
    made.on("status", onStatus);
    client.value = made;
    status.value = made.status;
  });
  onBeforeUnmount(() => {
    mounted = false;
    entry.client.then((made) => made.off("status", onStatus));
    release(entry);
  });
  return { client, status };
}

export function useNioChatEvent(client, type, handler) {
  let attached = null;
  const listener = (event) => handler(event);
  const stop = watch(
    client,
    (made) => {
      if (attached) attached.off(type, listener);
      attached = made;
      if (made) made.on(type, listener);
    },
    { immediate: true },
  );
  onBeforeUnmount(() => {
    stop();
    if (attached) attached.off(type, listener);
  });
}
