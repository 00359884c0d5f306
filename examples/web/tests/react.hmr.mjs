// The React example under Vite's dev server: editing a component (hot module replacement)
// keeps the page's one connection; nothing reconnects.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { control, launch, runTests, until, unique } from "./harness.mjs";

const app = new URL("../react/src/App.tsx", import.meta.url);
const servers = await control();
const vite = spawn("node_modules/.bin/vite", ["--host", "127.0.0.1", "--port", "0", "--strictPort"], {
  cwd: new URL("../react/", import.meta.url).pathname,
  stdio: ["ignore", "pipe", "inherit"],
});
const base = await new Promise((resolve, reject) => {
  let seen = "";
  vite.stdout.on("data", (chunk) => {
    seen += chunk;
    const found = seen.replace(/\x1b\[[0-9;]*m/g, "").match(/http:\/\/127\.0\.0\.1:\d+/);
    if (found) resolve(found[0]);
  });
  vite.on("exit", () => reject(new Error(`vite exited: ${seen}`)));
});
const browser = await launch();
const original = await readFile(app, "utf8");

const ok = await runTests("react-hmr", {
  async "a hot update keeps the one connection"(pages) {
    const room = unique("e2e-hmr");
    const { url, token } = await servers.run({ cmd: "endpoint", backend: "renum", user: "mallory" });
    const page = await (await browser.newContext()).newPage();
    pages.push(page);
    await page.goto(`${base}/?${new URLSearchParams({ url, token, room, user: "mallory" })}`);
    await until("connected", async () => (await page.getByTestId("status").textContent()) === "connected", 20000);
    const before = await servers.run({ cmd: "handshakes", backend: "renum" });
    await writeFile(app, original.replace("{config.user} in {config.room}", "{config.user} (edited) in {config.room}"));
    await until("the edit shows", async () => (await page.locator("h1").textContent())?.includes("(edited)"), 20000);
    await page.waitForTimeout(1500); // past the release delay of a client left behind
    const { count } = await servers.run({ cmd: "connections", backend: "renum", user: "mallory" });
    const after = await servers.run({ cmd: "handshakes", backend: "renum" });
    if (count !== 1) throw new Error(`${count} connections after the hot update`);
    if (after.count !== before.count) throw new Error(`${after.count - before.count} new handshakes`);
    if ((await page.getByTestId("status").textContent()) !== "connected") throw new Error("not connected");
  },
}).finally(() => writeFile(app, original));

await browser.close();
vite.kill();
servers.close();
process.exit(ok ? 0 : 1);
