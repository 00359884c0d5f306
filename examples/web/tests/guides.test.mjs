// The web guides (docs/getting-started/{react,vue,angular,node}.md), followed as a newcomer
// would: fresh Vite projects made with the guides' `npm create vite` command, the packed tarball
// installed into them, the files the guides name written in, built, and run in Chromium against
// a real server; the Angular guide's files built with the Angular CLI; a fresh Node project
// running the Node guide's script, and type-checking every other TypeScript block of docs/.
//
// The samples come from `target/guides/` (`cargo xtask test` extracts them from docs/).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { control, launch, runTests, serve, until } from "./harness.mjs";

const guides = process.env.NIOCHAT_GUIDES;
const tarball = process.env.NIOCHAT_TARBALL;
const projects = join(guides, "../guides-projects");
const examples = new URL("..", import.meta.url).pathname;
// The guides' create-vite major, pinned to a release so that the test does not drift.
const CREATE_VITE = "create-vite@6.5.0";
const CONVERSATION = "support-42";

const servers = await control();
const browser = await launch();

/** Runs a command in `cwd`, its output shown only when it fails. */
function sh(cwd, command, args, env = {}) {
  try {
    return execFileSync(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
  } catch (error) {
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${error.stdout}\n${error.stderr}`);
  }
}

const npm = (cwd, ...args) => sh(cwd, "npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"]);

/** Every file extracted from `page` (e.g. `getting-started/react`), as [path in project, source]. */
function files(page) {
  const root = join(guides, page);
  const found = [];
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.push([relative(root, path), path]);
    }
  };
  walk(root);
  if (found.length === 0) throw new Error(`no samples extracted from docs/${page}.md`);
  return found;
}

function writeGuideFiles(page, project) {
  for (const [name, source] of files(page)) {
    mkdirSync(dirname(join(project, name)), { recursive: true });
    cpSync(source, join(project, name));
  }
}

/** `npm create vite@6 <name> -- --template <template>`, `npm install`, `npm install niochat`. */
function freshVite(name, template) {
  const project = join(projects, name);
  rmSync(project, { recursive: true, force: true });
  mkdirSync(projects, { recursive: true });
  sh(projects, "npm", ["exec", "--yes", "--", CREATE_VITE, name, "--template", template]);
  npm(project, "install");
  npm(project, "install", tarball);
  return project;
}

/** Builds a guide's Vite app for a fresh renum endpoint, then chats with it in Chromium. */
async function chatInBrowser(pages, project, user) {
  const { url, token } = await servers.run({ cmd: "endpoint", backend: "renum", user });
  sh(project, "npm", ["run", "build", "--silent"], { VITE_NIOCHAT_URL: url });
  const site = await serve(join(project, "dist"), { "/api/chat-token": token });
  try {
    const page = await (await browser.newContext()).newPage();
    pages.push(page);
    await page.goto(site.base);
    await until("connected", async () => (await page.getByText("Status: connected").count()) === 1, 15000);
    // The join goes out right after the session is ready: wait until the server has it.
    await page.waitForTimeout(300);
    await servers.run({ cmd: "post", backend: "renum", conversation: CONVERSATION, user: "judy", content: `hi ${user}` });
    await until("the message shows", async () => (await page.getByText(`judy: hi ${user}`).count()) === 1);
    await page.getByLabel("Message").fill(`hello from ${user}`);
    await page.getByLabel("Message").press("Enter");
    await until("the server stores it", async () => {
      const { contents } = await servers.run({ cmd: "messages", conversation: CONVERSATION });
      return contents.includes(`hello from ${user}`);
    });
  } finally {
    site.close();
  }
}

const ok = await runTests("guides", {
  async "react: a fresh Vite project builds with the guide's files and chats in Chromium"(pages) {
    const project = freshVite("react", "react-ts");
    writeGuideFiles("getting-started/react", project);
    await chatInBrowser(pages, project, "guide-react");
  },

  async "vue: a fresh Vite project builds (vue-tsc) with the guide's files and chats in Chromium"(pages) {
    const project = freshVite("vue", "vue-ts");
    writeGuideFiles("getting-started/vue", project);
    await chatInBrowser(pages, project, "guide-vue");
  },

  async "angular: the guide's files build with the Angular CLI (strict templates)"() {
    const project = join(projects, "angular");
    const example = join(examples, "angular");
    rmSync(project, { recursive: true, force: true });
    mkdirSync(join(project, "src"), { recursive: true });
    for (const name of ["package.json", "angular.json", "tsconfig.json"]) cpSync(join(example, name), join(project, name));
    // The example's packages, with the tarball `cargo xtask test` installed into them.
    symlinkSync(join(example, "node_modules"), join(project, "node_modules"), "dir");
    writeFileSync(
      join(project, "src/index.html"),
      '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Chat</title><base href="/"></head>\n<body><app-root></app-root></body>\n</html>\n',
    );
    writeGuideFiles("getting-started/angular", project);
    sh(project, join(project, "node_modules/.bin/ng"), ["build", "--configuration", "production"], { NG_CLI_ANALYTICS: "false" });
    if (!existsSync(join(project, "dist/niochat_wasm_bg.wasm"))) throw new Error("the build did not copy the .wasm");
  },

  async "node: a fresh project runs the guide's script against a real server"() {
    const project = join(projects, "node");
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { recursive: true });
    npm(project, "init", "-y");
    npm(project, "pkg", "set", "type=module");
    npm(project, "install", tarball, "typescript@5.7.2", "@types/node@20.17.9");
    writeGuideFiles("getting-started/node", project);
    // Supply chain: the package brings no runtime dependency into a user's tree...
    const installed = JSON.parse(readFileSync(join(project, "node_modules/niochat/package.json"), "utf8"));
    if (installed.dependencies && Object.keys(installed.dependencies).length > 0) {
      throw new Error(`niochat brings runtime dependencies: ${JSON.stringify(installed.dependencies)}`);
    }
    // ...and `npm audit --omit=dev` agrees where the registry's audit endpoint answers (the
    // build machines' registry mirror refuses it: then it is reported, not counted).
    try {
      npm(project, "audit", "--omit=dev");
      console.log("  npm audit --omit=dev: no vulnerabilities");
    } catch (error) {
      if (!/audit endpoint returned an error|ENOAUDIT|405/.test(String(error))) throw error;
      console.log("  npm audit --omit=dev: the registry's audit endpoint is not reachable here; not checked");
    }
    const { url, token } = await servers.run({ cmd: "endpoint", backend: "renum", user: "guide-node" });
    const output = sh(project, "node", ["--experimental-websocket", "--no-warnings", "chat.mjs"], {
      NIOCHAT_URL: url,
      NIOCHAT_TOKEN: token,
    });
    if (!/stored as \S+/.test(output)) throw new Error(`chat.mjs said:\n${output}`);
    const { contents } = await servers.run({ cmd: "messages", conversation: CONVERSATION });
    if (!contents.includes("Hello from Node")) throw new Error("the server did not store the Node guide's message");
  },

  async "typescript: every standalone TypeScript block in docs/ type-checks with tsc --strict"() {
    const project = join(projects, "node");
    const blocks = join(project, "blocks");
    rmSync(blocks, { recursive: true, force: true });
    mkdirSync(blocks, { recursive: true });
    const walk = (folder) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/^block-\d+\.ts$/.test(entry.name)) {
          cpSync(path, join(blocks, relative(guides, path).replaceAll("/", "__")));
        }
      }
    };
    walk(guides);
    const checked = readdirSync(blocks).length;
    if (checked === 0) throw new Error("no standalone TypeScript blocks found");
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          lib: ["ES2022", "DOM"],
          types: ["node"],
        },
        include: ["blocks/*.ts"],
      }),
    );
    sh(project, join(project, "node_modules/.bin/tsc"), ["-p", "."]);
    console.log(`  ${checked} TypeScript blocks type-checked`);
  },
});

await browser.close();
servers.close();
process.exit(ok ? 0 : 1);
