// Vue bindings: `useNioChat(options)` gives refs to the page's client for these options, its
// status and the error that kept it from being made; `options` may be a getter or a ref, and
// the client follows it when its key changes (another user, another outbox).
// `useNioChatEvent(client, type, handler)` listens while the component lives.
import { onBeforeUnmount, ref, shallowRef, toValue, watch } from "vue";
import { acquire, keyOf, release } from "./shared.js";

export function useNioChat(options) {
  const client = shallowRef(null);
  const status = ref({ name: "disconnected" });
  const error = shallowRef(null);
  const onStatus = (event) => {
    status.value = event.status;
  };
  let entry = null;
  const take = () => {
    const taken = acquire(toValue(options));
    entry = taken;
    client.value = null;
    error.value = null;
    status.value = { name: "disconnected" };
    taken.client.then(
      (made) => {
        if (entry !== taken) return;
        made.on("status", onStatus);
        client.value = made;
        status.value = made.status;
      },
      (failed) => {
        if (entry === taken) error.value = failed;
      },
    );
  };
  const give = () => {
    const given = entry;
    entry = null;
    given.client.then(
      (made) => made.off("status", onStatus),
      () => {},
    );
    release(given);
  };
  take();
  const stop = watch(
    () => keyOf(toValue(options)),
    () => {
      give();
      take();
    },
  );
  onBeforeUnmount(() => {
    stop();
    give();
  });
  return { client, status, error };
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
