// What the browser tests of the web examples share: the test servers' control socket, a
// static server for a built example, Chromium through playwright-core (the system browser,
// never a downloaded one), and a runner that takes a screenshot of every page of a failed test.
import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, normalize } from "node:path";

const tools = process.env.NIOCHAT_TOOLS;
const { chromium } = createRequire(join(tools, "package.json"))("playwright-core");

/** The control socket of `niochat-test-servers` (see tests/src/control.rs). */
export async function control(url = process.env.NIOCHAT_TEST_CONTROL) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot reach the test servers at ${url}`));
  });
  const waiting = [];
  socket.onmessage = (event) => waiting.shift()?.(JSON.parse(event.data));
  const run = (command) =>
    new Promise((resolve, reject) => {
      waiting.push((answer) => (answer.ok ? resolve(answer) : reject(new Error(JSON.stringify(answer)))));
      socket.send(JSON.stringify(command));
    });
  return { run, close: () => socket.close() };
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };

/**
 * Serves `folder` on 127.0.0.1, and `routes` (path → text, e.g. a token endpoint); resolves
 * with its base URL and a `close()`.
 */
export async function serve(folder, routes = {}) {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
    if (path in routes) {
      response.writeHead(200, { "content-type": "text/plain" });
      response.end(routes[path]);
      return;
    }
    const file = join(folder, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

export function launch() {
  return chromium.launch({ executablePath: process.env.NIOCHAT_CHROMIUM ?? "/usr/bin/chromium", headless: true });
}

/** Runs each test; a failed one leaves screenshots of its pages in `target/e2e/`. */
export async function runTests(suite, tests) {
  const shots = join(process.cwd(), "../../../target/e2e");
  await mkdir(shots, { recursive: true });
  let failed = 0;
  for (const [name, test] of Object.entries(tests)) {
    const pages = [];
    const started = Date.now();
    try {
      await test(pages);
      console.log(`test ${suite}: ${name} ... ok (${Date.now() - started} ms)`);
    } catch (error) {
      failed += 1;
      console.log(`test ${suite}: ${name} ... FAILED\n  ${error.stack ?? error}`);
      for (const [index, page] of pages.entries()) {
        const file = join(shots, `${suite}-${name.replace(/\W+/g, "_")}-${index}.png`);
        await page.screenshot({ path: file }).catch(() => {});
        console.log(`  screenshot: ${file}`);
      }
    } finally {
      for (const page of pages) await page.context().close().catch(() => {});
    }
  }
  const passed = Object.keys(tests).length - failed;
  console.log(`test result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed`);
  return failed === 0;
}

/** Waits until `check()` is true (polling), or fails saying `what`. */
export async function until(what, check, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function unique(prefix) {
  return `${prefix}-${Math.random().toString(16).slice(2, 10)}`;
}
