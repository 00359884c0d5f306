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
