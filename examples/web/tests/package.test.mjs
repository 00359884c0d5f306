// The packed npm package in Node: what is in the tarball, the class against its declarations,
// typed errors, and the strict-TypeScript Node example run against the reference server.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { control, runTests } from "./harness.mjs";

const run = promisify(execFile);
const example = new URL("../node/", import.meta.url).pathname;
const installed = new URL("../node/node_modules/niochat/", import.meta.url);
const niochat = await import(new URL("index.js", installed));
await niochat.ready(await readFile(new URL("niochat_wasm_bg.wasm", installed)));
const declarations = await readFile(new URL("index.d.ts", installed), "utf8");
const servers = await control();

const ok = await runTests("package", {
  async "the tarball holds what a user needs and nothing else"() {
    const tarball = process.env.NIOCHAT_TARBALL;
    const { stdout } = await run("tar", ["tzf", tarball]);
    const files = stdout.split("\n").filter(Boolean).map((file) => file.replace(/^package\//, ""));
    const allowed = /^(index|shared|react|vue|angular)\.(js|d\.ts)$|^niochat_wasm(\.js|_bg\.wasm)$|^snippets\/.+\.js$|^(README\.md|LICENSE|package\.json)$/;
    const unexpected = files.filter((file) => !allowed.test(file));
    if (unexpected.length) throw new Error(`unexpected files: ${unexpected}`);
    for (const needed of ["index.js", "index.d.ts", "niochat_wasm_bg.wasm", "react.js", "vue.js", "angular.js", "LICENSE"])
      if (!files.includes(needed)) throw new Error(`missing ${needed}`);
  },

  async "every method the declarations promise exists, and no other"() {
    const body = declarations.slice(declarations.indexOf("export class NioChatClient"));
    const declared = new Set(
      [...body.slice(0, body.indexOf("\n}")).matchAll(/^\s+(?:readonly\s+)?(\w+)[<(:]/gm)].map((m) => m[1]),
    );
    declared.delete("constructor");
    const prototype = niochat.NioChatClient.prototype;
    const actual = new Set(
      Object.getOwnPropertyNames(prototype).filter((name) => name !== "constructor" && !name.startsWith("__")),
    );
    const missing = [...declared].filter((name) => !actual.has(name));
    const undeclared = [...actual].filter((name) => !declared.has(name) && name !== Symbol.dispose?.toString());
    if (missing.length || undeclared.length)
      throw new Error(`declared but missing: ${missing}; present but undeclared: ${undeclared}`);
  },

  async "bad options and unknown events are NioChatErrors with a code"() {
    const attempt = (make) => {
      try {
        make();
      } catch (error) {
        return error;
      }
      throw new Error("no error");
    };
    const typo = attempt(() => new niochat.NioChatClient({ url: "ws://127.0.0.1:9", queueCapcity: 5 }));
    if (!(typo instanceof niochat.NioChatError) || typo.code !== "INVALID_CONFIG")
      throw new Error(`got ${typo}`);
    const client = new niochat.NioChatClient({ url: "ws://127.0.0.1:9" });
    const unknown = attempt(() => client.on("mesage", () => {}));
    if (!niochat.isNioChatError(unknown) || unknown.code !== "INVALID_CONFIG") throw new Error(`got ${unknown}`);
    const empty = await client.sendMessage("c", "   ").then(
      () => null,
      (error) => error,
    );
    if (empty?.code !== "EMPTY") throw new Error(`got ${empty}`);
    client.free();
  },

  async "a structured backend with a misspelt field, or a getToken that is not a function, is refused"() {
    for (const options of [
      { url: "ws://127.0.0.1:9", backend: { name: "pytake-go", user_id: "u1" } },
      { url: "ws://127.0.0.1:9", getToken: "not a function" },
    ]) {
      let refused = null;
      try {
        new niochat.NioChatClient(options).free();
      } catch (error) {
        refused = error;
      }
      if (refused?.code !== "INVALID_CONFIG") throw new Error(`${JSON.stringify(options)}: got ${refused}`);
    }
  },

  async "listeners are not called once the client is freed"() {
    const client = new niochat.NioChatClient({ url: "ws://127.0.0.1:9", reconnect: { initialDelayMs: 10 } });
    let freed = false;
    let late = 0;
    client.on("*", () => {
      if (freed) late += 1;
    });
    client.connect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.free();
    freed = true;
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (late) throw new Error(`${late} events after free()`);
  },

  async "the shared client follows the token and forgets one it could not make"() {
    const shared = await import(new URL("shared.js", installed));
    const url = "ws://127.0.0.1:9";
    const alice = shared.keyOf({ url, token: "alice-secret" });
    if (alice === shared.keyOf({ url, token: "bob-secret" })) throw new Error("one key for two tokens");
    if (alice !== shared.keyOf({ url, token: "alice-secret" })) throw new Error("two keys for one token");
    if (alice.includes("alice-secret")) throw new Error(`the token is in the key: ${alice}`);
    const broken = shared.acquire({ url, queueCapcity: 5, autoConnect: false });
    const error = await broken.client.then(() => null, (failed) => failed);
    if (error?.code !== "INVALID_CONFIG") throw new Error(`got ${error}`);
    const again = shared.acquire({ url, queueCapcity: 5, autoConnect: false });
    if (again === broken) throw new Error("the failed client was kept");
    await again.client.catch(() => {});
  },

  async "a failed load of the WebAssembly can be tried again"() {
    const script = `
      import { readFile } from "node:fs/promises";
      const niochat = await import(${JSON.stringify(new URL("index.js", installed).href)});
      const failed = await niochat.ready(new Uint8Array([0, 1, 2, 3])).then(() => false, () => true);
      await niochat.ready(await readFile(new URL("niochat_wasm_bg.wasm", ${JSON.stringify(installed.href)})));
      console.log(failed && typeof niochat.NioChatError === "function" ? "retried" : "not retried");
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { timeout: 20000 });
    if (stdout.trim() !== "retried") throw new Error(stdout);
  },

  async "the strict TypeScript Node example chats with the reference server"() {
    const { url, token } = await servers.run({ cmd: "endpoint", backend: "renum", user: "node" });
    const { stdout } = await run(process.execPath, ["--experimental-websocket", "dist/chat.js", url, token, "node-room"], {
      cwd: example,
      timeout: 20000,
    });
    if (!/stored as \S+ in node-room/.test(stdout)) throw new Error(stdout);
  },
});

servers.close();
process.exit(ok ? 0 : 1);
