// The Angular example, built by the Angular CLI from the packed tarball, in Chromium: it
// connects, shows a message another user posted, and sends one.
import { control, launch, runTests, serve, until, unique } from "./harness.mjs";

const servers = await control();
const site = await serve(new URL("../angular/dist/", import.meta.url).pathname);
const browser = await launch();

const ok = await runTests("angular", {
  async "connects, shows a received message and sends one"(pages) {
    const room = unique("angular-smoke");
    const { url, token } = await servers.run({ cmd: "endpoint", backend: "renum", user: "kim" });
    const page = await (await browser.newContext()).newPage();
    pages.push(page);
    await page.goto(`${site.base}/?${new URLSearchParams({ url, token, room, user: "kim" })}`);
    await until("connected", async () => (await page.getByTestId("status").textContent())?.trim() === "connected");
    await page.waitForTimeout(300); // the join follows the session
    await servers.run({ cmd: "post", backend: "renum", conversation: room, user: "lee", content: "hi from lee" });
    await until("the message shows", async () =>
      (await page.getByTestId("message").allTextContents()).some((text) => text.trim() === "lee: hi from lee"),
    );
    await page.getByTestId("draft").fill("hi lee");
    await page.getByTestId("draft").press("Enter");
    await until("the server stores it", async () => {
      const { contents } = await servers.run({ cmd: "messages", conversation: room });
      return contents.includes("hi lee");
    });
  },
});

await browser.close();
site.close();
servers.close();
process.exit(ok ? 0 : 1);
