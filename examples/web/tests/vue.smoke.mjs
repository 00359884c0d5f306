// The Vue example, built by Vite from the packed tarball, in Chromium: it connects, shows a
// message another user posted, and sends one.
import { control, launch, runTests, serve, until, unique } from "./harness.mjs";

const servers = await control();
const site = await serve(new URL("../vue/dist/", import.meta.url).pathname);
const browser = await launch();

const ok = await runTests("vue", {
  async "connects, shows a received message and sends one"(pages) {
    const room = unique("vue-smoke");
    const { url, token } = await servers.run({ cmd: "endpoint", backend: "renum", user: "ivan" });
    const page = await (await browser.newContext()).newPage();
    pages.push(page);
    await page.goto(`${site.base}/?${new URLSearchParams({ url, token, room, user: "ivan" })}`);
    await until("connected", async () => (await page.getByTestId("status").textContent()) === "connected");
    // The join goes out right after the session is ready: wait until the server has it.
    await page.waitForTimeout(300);
    await servers.run({ cmd: "post", backend: "renum", conversation: room, user: "judy", content: "hi from judy" });
    await until("the message shows", async () =>
      (await page.getByTestId("message").allTextContents()).includes("judy: hi from judy"),
    );
    await page.getByTestId("draft").fill("hi judy");
    await page.getByTestId("draft").press("Enter");
    await until("the server stores it", async () => {
      const { contents } = await servers.run({ cmd: "messages", conversation: room });
      return contents.includes("hi judy");
    });
  },
});

await browser.close();
site.close();
servers.close();
process.exit(ok ? 0 : 1);
