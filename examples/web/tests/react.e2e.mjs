// The React example, built by Vite from the packed tarball, in real Chromium against the
// protocol-001 reference server: what a support agent would notice.
import { control, launch, runTests, serve, until, unique } from "./harness.mjs";

const servers = await control();
const site = await serve(new URL("../react/dist/", import.meta.url).pathname);
const browser = await launch();

/** A page of the example for `user` in `room`, in its own browser context. */
async function open(pages, user, room, extra = {}) {
  const { url, token } = await servers.run({ cmd: "endpoint", backend: "renum", user });
  const query = new URLSearchParams({ url, token, room, user, ...extra });
  const context = await browser.newContext();
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${site.base}/?${query}`);
  return page;
}

const status = (page) => page.getByTestId("status").textContent();
const connected = (page) => until("connected", async () => (await status(page)) === "connected");
const messages = (page) => page.getByTestId("message").allTextContents();

async function type(page, text) {
  await page.getByTestId("draft").fill(text);
  await page.getByTestId("draft").press("Enter");
}

const ok = await runTests("react", {
  async "two pages chat with each other"(pages) {
    const room = unique("e2e-chat");
    const alice = await open(pages, "alice", room);
    const bob = await open(pages, "bob", room);
    await connected(alice);
    await connected(bob);
    await type(alice, "hello bob");
    await until("bob sees it", async () => (await messages(bob)).includes("alice: hello bob"));
  },

  async "messages typed while the server dropped everyone arrive once and in order"(pages) {
    const room = unique("e2e-drop");
    const carol = await open(pages, "carol", room);
    const dave = await open(pages, "dave", room);
    await connected(carol);
    await connected(dave);
    await servers.run({ cmd: "drop", backend: "renum", user: "carol" });
    await servers.run({ cmd: "drop", backend: "renum", user: "dave" });
    for (const text of ["one", "two", "three"]) await type(carol, text);
    const expected = ["carol: one", "carol: two", "carol: three"];
    await until("dave sees all three", async () => (await messages(dave)).length >= 3);
    const seen = await messages(dave);
    if (JSON.stringify(seen) !== JSON.stringify(expected)) throw new Error(`dave saw ${JSON.stringify(seen)}`);
    const { contents } = await servers.run({ cmd: "messages", conversation: room });
    if (JSON.stringify(contents) !== JSON.stringify(["one", "two", "three"]))
      throw new Error(`the server stored ${JSON.stringify(contents)}`);
  },

  async "going offline and back online recovers at once"(pages) {
    // Reconnection waits 5 s after a loss; `online` must not wait for it.
    const page = await open(pages, "erin", unique("e2e-offline"), { retryMs: "5000", jitter: "none" });
    await connected(page);
    await page.context().setOffline(true);
    await servers.run({ cmd: "drop", backend: "renum", user: "erin" }); // the network cut
    await until("the loss is noticed", async () => (await status(page)) !== "connected");
    await page.waitForTimeout(300);
    const back = Date.now();
    await page.context().setOffline(false);
    await connected(page);
    const took = Date.now() - back;
    if (took > 1500) throw new Error(`reconnected ${took} ms after going online`);
  },

  async "a hidden page survives keep-alive intervals without a false disconnect"(pages) {
    const page = await open(pages, "frank", unique("e2e-hidden"), { keepAliveMs: "400" });
    await connected(page);
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    const statuses = new Set();
    const end = Date.now() + 2000; // five keep-alive intervals
    while (Date.now() < end) {
      statuses.add(await status(page));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (statuses.size !== 1 || !statuses.has("connected")) throw new Error(`statuses: ${[...statuses]}`);
  },

  async "StrictMode opens exactly one connection"(pages) {
    const page = await open(pages, "grace", unique("e2e-strict"));
    await connected(page);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past the release delay
    const { count } = await servers.run({ cmd: "connections", backend: "renum", user: "grace" });
    if (count !== 1) throw new Error(`${count} connections for one page`);
  },

  async "reloading a page with queued messages sends them once"(pages) {
    const room = unique("e2e-reload");
    const page = await open(pages, "heidi", room, { autoconnect: "0" });
    await until("the client is made", async () => (await status(page)) === "disconnected");
    await type(page, "queued one");
    await type(page, "queued two");
    await page.waitForTimeout(100);
    await page.goto(page.url().replace("autoconnect=0", "autoconnect=1"));
    await connected(page);
    await until("both stored", async () => {
      const { contents } = await servers.run({ cmd: "messages", conversation: room });
      return contents.length >= 2;
    });
    await page.waitForTimeout(500);
    const { contents } = await servers.run({ cmd: "messages", conversation: room });
    if (JSON.stringify(contents) !== JSON.stringify(["queued one", "queued two"]))
      throw new Error(`the server stored ${JSON.stringify(contents)}`);
  },
});

await browser.close();
site.close();
servers.close();
process.exit(ok ? 0 : 1);
