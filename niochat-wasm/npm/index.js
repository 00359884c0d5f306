// The niochat package: the wasm client plus `ready()`, which loads the WebAssembly once.
import init, { NioChatClient, nioChatErrorClass } from "./niochat_wasm.js";

let loading;

/** Loads the WebAssembly module (once; later calls share the first). */
export function ready(input) {
  loading ??= init(input === undefined ? undefined : { module_or_path: input }).then(
    () => {
      NioChatError = nioChatErrorClass();
    },
    (error) => {
      loading = undefined; // a failed load (the network, a wrong path) may be tried again
      throw error;
    },
  );
  return loading;
}

/** The class every rejection is an instance of (set once `ready()` resolved). */
export let NioChatError;

/** Whether `error` is a niochat error (works before `ready()` too). */
export function isNioChatError(error) {
  return error instanceof Error && error.name === "NioChatError" && typeof error.code === "string";
}

export { NioChatClient };
