//! The browser side: `cargo xtask npm` (the npm package, from the wasm build to `npm pack`),
//! the browser suite in headless Chromium, and the package's own checks.
//!
//! Suites outside this process reach the real servers through `niochat-test-servers` (in the
//! test kit): [`TestServers`] starts it, reads its control URL and stops it when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::install::{self, WASM_TARGET};
use crate::{cargo, run, workspace};

/// Where the package is assembled, and the tarball `npm pack` makes beside it.
pub const PACKAGE_DIR: &str = "target/npm/niochat";
/// The npm tools (wasm-opt, tsc, playwright-core).
pub const TOOLS: &str = "niochat-wasm/npm-tools";

fn tool(name: &str) -> PathBuf {
    workspace().join(TOOLS).join("node_modules/.bin").join(name)
}

/// The tarball `npm pack` made, e.g. `target/npm/niochat-0.1.0.tgz`.
pub fn tarball() -> PathBuf {
    workspace()
        .join("target/npm")
        .join(format!("niochat-{}.tgz", env!("CARGO_PKG_VERSION")))
}

/// Builds the package into [`PACKAGE_DIR`] and packs it.
pub fn npm_package() -> bool {
    let root = workspace();
    let mut build = cargo(&[
        "build",
        "-p",
        "niochat-wasm",
        "--target",
        WASM_TARGET,
        "--profile",
        "wasm-release",
    ]);
    build.current_dir(&root);
    if !run(build) {
        return false;
    }
    let out = root.join(PACKAGE_DIR);
    let _ = std::fs::remove_dir_all(&out);
    let wasm = root.join("target/wasm32-unknown-unknown/wasm-release/niochat_wasm.wasm");
    let mut bindgen = Command::new("wasm-bindgen");
    bindgen
        .args([
            "--target",
            "web",
            "--remove-name-section",
            "--remove-producers-section",
            "--out-dir",
        ])
        .arg(&out)
        .arg(&wasm);
    if !run(bindgen) {
        return false;
    }
    let bg = out.join("niochat_wasm_bg.wasm");
    let mut opt = Command::new(tool("wasm-opt"));
    // The features Rust's wasm32 target uses; `--all-features` would let wasm-opt emit
    // encodings browsers do not load yet (compact imports).
    opt.args([
        "-Oz",
        "--enable-bulk-memory",
        "--enable-mutable-globals",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-reference-types",
        "--enable-multivalue",
        "-o",
    ])
    .arg(&bg)
    .arg(&bg);
    if !run(opt) {
        return false;
    }
    if !assemble(&root, &out) {
        return false;
    }
    let mut pack = Command::new("npm");
    pack.args(["pack", "--silent", "--pack-destination", ".."])
        .current_dir(&out);
    run(pack) && tarball().exists()
}

/// Copies the hand-written files, writes `index.d.ts` and the version, and removes the
/// generated declarations (they type the raw exports with `any`).
fn assemble(root: &Path, out: &Path) -> bool {
    let template = root.join("niochat-wasm/npm");
    let copy = |name: &str| std::fs::copy(template.join(name), out.join(name)).is_ok();
    let files = [
        "index.js",
        "shared.js",
        "react.js",
        "react.d.ts",
        "vue.js",
        "vue.d.ts",
        "angular.js",
        "angular.d.ts",
        "README.md",
        "LICENSE",
    ];
    if !files.iter().all(|name| copy(name)) {
        eprintln!("niochat-wasm/npm: a template file is missing");
        return false;
    }
    let declarations = std::fs::read_to_string(root.join("niochat-wasm/src/niochat.d.ts"))
        .and_then(|head| {
            let tail = std::fs::read_to_string(template.join("index.d.ts.tail"))?;
            Ok(head + &tail)
        });
    let Ok(declarations) = declarations else {
        eprintln!("niochat-wasm: cannot read the declarations");
        return false;
    };
    let manifest = std::fs::read_to_string(template.join("package.json")).map(|text| {
        text.replacen(
            "\"version\": \"0.0.0\"",
            &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            1,
        )
    });
    let written = manifest.is_ok_and(|manifest| {
        std::fs::write(out.join("package.json"), manifest).is_ok()
            && std::fs::write(out.join("index.d.ts"), &declarations).is_ok()
            && std::fs::remove_file(out.join("niochat_wasm.d.ts")).is_ok()
            && std::fs::remove_file(out.join("niochat_wasm_bg.wasm.d.ts")).is_ok()
    });
    if !written {
        eprintln!("cannot write {}", out.display());
    }
    written
}

/// The test servers for suites outside this process; stopped when dropped.
pub struct TestServers {
    child: Child,
    pub control: String,
}

impl TestServers {
    pub fn start() -> Option<Self> {
        let mut command = cargo(&[
            "run",
            "--quiet",
            "-p",
            "niochat-testkit",
            "--bin",
            "niochat-test-servers",
        ]);
        command
            .env("NIOCHAT_PYTHON", install::venv_python())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = command.spawn().ok()?;
        let stdout = child.stdout.take()?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).ok()?;
        let control = line
            .split('"')
            .find(|part| part.starts_with("ws://"))
            .map(str::to_owned);
        match control {
            Some(control) => Some(Self { child, control }),
            None => {
                eprintln!("niochat-test-servers said {line:?}");
                let _ = child.kill();
                None
            }
        }
    }
}

impl Drop for TestServers {
    fn drop(&mut self) {
        // Closing its stdin ends it; kill in case it hangs.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The browser driver's suite in headless Chromium (wasm-bindgen-test).
pub fn browser_suite(servers: &TestServers, tally: &mut crate::Tally) -> bool {
    let mut test = cargo(&[
        "test",
        "-p",
        "niochat-client",
        "--target",
        WASM_TARGET,
        "--no-default-features",
        "--features",
        "web",
        "--test",
        "web",
    ]);
    test.env("NIOCHAT_TEST_CONTROL", &servers.control)
        .env("CHROMEDRIVER", install::CHROMEDRIVER)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        );
    crate::run_counting(test, tally)
}

/// The published declarations hold no `any`.
pub fn no_any_in_declarations() -> bool {
    let out = workspace().join(PACKAGE_DIR);
    let mut clean = true;
    for name in ["index.d.ts", "react.d.ts", "vue.d.ts", "angular.d.ts"] {
        let text = std::fs::read_to_string(out.join(name)).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("/**") || code.starts_with('*') || code.starts_with("//") {
                continue;
            }
            let words = line.split(|c: char| !c.is_alphanumeric() && c != '_');
            if words.into_iter().any(|word| word == "any") {
                eprintln!(
                    "{name}:{}: `any` in a published declaration: {line}",
                    number + 1
                );
                clean = false;
            }
        }
    }
    clean
}

/// The web examples, each built from the packed tarball (as a user would install it).
pub const EXAMPLES: &[&str] = &[
    "examples/web/node",
    "examples/web/react",
    "examples/web/vue",
    "examples/web/angular",
];

/// Installs the tarball into each example and builds it: the Node one with `tsc --strict`,
/// React with `tsc --noEmit` and Vite, Vue with Vite.
pub fn build_examples() -> bool {
    let root = workspace();
    let tarball = tarball();
    EXAMPLES.iter().all(|folder| {
        let dir = root.join(folder);
        let mut install = Command::new("npm");
        install
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .arg(&tarball)
            .current_dir(&dir);
        let mut build = match *folder {
            "examples/web/node" => {
                let mut tsc = Command::new(dir.join("node_modules/.bin/tsc"));
                tsc.args(["-p", "."]);
                tsc
            }
            _ => {
                let mut npm = Command::new("npm");
                npm.args(["run", "--silent", "build"]);
                npm
            }
        };
        build.current_dir(&dir);
        let ok = run(install) && run(build);
        if !ok {
            eprintln!("{folder}: could not install the tarball or build");
        }
        ok
    })
}

/// The package's Node tests, the React end-to-end and hot-reload tests, the Vue and
/// Angular smoke tests, and the web guides followed in fresh projects.
pub fn example_tests(servers: &TestServers, tally: &mut crate::Tally) -> bool {
    let root = workspace();
    let mut ok = true;
    for script in [
        "package.test.mjs",
        "react.e2e.mjs",
        "react.hmr.mjs",
        "vue.smoke.mjs",
        "angular.smoke.mjs",
        "guides.test.mjs",
    ] {
        let mut node = Command::new("node");
        node.args(["--experimental-websocket", "--no-warnings", script])
            .current_dir(root.join("examples/web/tests"))
            .env("NIOCHAT_TEST_CONTROL", &servers.control)
            .env("NIOCHAT_TOOLS", root.join(TOOLS))
            .env("NIOCHAT_TARBALL", tarball())
            .env("NIOCHAT_CHROMIUM", install::CHROMIUM)
            .env("NIOCHAT_GUIDES", crate::guides::out());
        ok &= crate::run_counting(node, tally);
    }
    ok
}

/// Published sizes (minified + gzipped) of the peers not installed here, from the issue that
/// set the size goal; socket.io-client is measured from `bench/node`.
const QUOTED: &[(&str, f64)] = &[("centrifuge (quoted)", 23.2), ("ably (quoted)", 56.7)];

/// Bytes of `file` compressed with `gzip -9`.
fn gzipped(file: &Path) -> Option<u64> {
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then_some(output.stdout.len() as u64)
}

/// Prints the package's download size (wasm + minified JS glue, gzipped) beside the peers'.
pub fn print_size() -> bool {
    let root = workspace();
    let out = root.join("target/npm/size");
    let _ = std::fs::create_dir_all(&out);
    let bundle = out.join("niochat.min.js");
    let mut esbuild = Command::new(tool("esbuild"));
    esbuild
        .arg(root.join(PACKAGE_DIR).join("index.js"))
        .args(["--bundle", "--minify", "--format=esm", "--log-level=error"])
        .arg(format!("--outfile={}", bundle.display()));
    if !run(esbuild) {
        return false;
    }
    let wasm = gzipped(&root.join(PACKAGE_DIR).join("niochat_wasm_bg.wasm"));
    let glue = gzipped(&bundle);
    let (Some(wasm), Some(glue)) = (wasm, glue) else {
        eprintln!("gzip is needed to measure the package");
        return false;
    };
    let kib = |bytes: u64| bytes as f64 / 1000.0;
    println!("\n| download (minified, gzip -9) | KB |");
    println!("|---|---|");
    println!("| niochat: wasm | {:.1} |", kib(wasm));
    println!("| niochat: JS glue | {:.1} |", kib(glue));
    println!(
        "| **niochat total (every backend)** | **{:.1}** |",
        kib(wasm + glue)
    );
    let socket_io = root.join("bench/node/node_modules/socket.io-client/dist/socket.io.min.js");
    match gzipped(&socket_io) {
        Some(bytes) => println!("| socket.io-client (measured) | {:.1} |", kib(bytes)),
        None => println!("| socket.io-client (quoted) | 13.3 |"),
    }
    for (name, size) in QUOTED {
        println!("| {name} | {size:.1} |");
    }
    println!("(goal: niochat at most 40 KB; see BENCHMARKS.md for what bounds it)");
    true
}

/// `npm publish --dry-run` of the assembled package: what the registry would take.
pub fn publish_dry_run() -> bool {
    let mut publish = Command::new("npm");
    publish
        .args(["publish", "--dry-run", "--loglevel=warn"])
        .current_dir(workspace().join(PACKAGE_DIR));
    run(publish)
}
