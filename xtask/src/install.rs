//! What the suites need, installed once and checked each run: rustup components and the
//! wasm32 target, a Python environment with the pinned real servers, and the Node packages
//! of the socket.io servers. Each is idempotent (a stamp records what was installed) and
//! says plainly what is missing from the machine when it cannot proceed. What comes from
//! Debian's packages (Chromium, a JVM, and Python or Node when a new machine lacks them or
//! has too old a one) is installed with apt-get, as root or through `sudo -n`.

use std::path::Path;
use std::process::Command;

use crate::{run, workspace};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The mobile targets the core is checked for (pure Rust; the FFI crate needs their C
/// toolchains, which these machines lack).
pub const MOBILE_TARGETS: &[&str] = &["aarch64-linux-android", "aarch64-apple-ios"];
/// Where the Python environment for the real servers lives (the test kit looks there).
pub const VENV: &str = "target/niochat-venv";
/// The pinned packages of the real Python servers (python-socketio, uvicorn, Django Channels...).
const REQUIREMENTS: &[&str] = &[
    "tests/servers/requirements.txt",
    "tests/servers/niochat/requirements.txt",
    "niochat-ffi/tests/python/requirements.txt",
    "niochat-ffi/python/requirements-build.txt",
];
/// Django 5.2 needs Python 3.10.
const PYTHON_MIN: (u32, u32) = (3, 10);
/// The suites run the npm package and the guides' scripts in Node with its `WebSocket`
/// (`--experimental-websocket`, from Node 20.10); socket.io 4.8 itself needs 18.
const NODE_MIN: (u32, u32) = (20, 10);
/// The Node taken from the npm registry when the machine's is older (bookworm's is 18).
const REGISTRY_NODE: &str = "20";
/// Where that Node is installed.
const REGISTRY_NODE_DIR: &str = "target/tools/node";

/// rustfmt, clippy, the wasm32 target and the mobile targets, asking rustup only for what
/// is missing.
pub fn rust() -> bool {
    let installed = |args: &[&str]| {
        Command::new("rustup")
            .args(args)
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default()
    };
    let mut ok = true;
    let components = installed(&["component", "list", "--installed"]);
    for component in ["rustfmt", "clippy"] {
        if !components.lines().any(|line| line.starts_with(component)) {
            ok &= run(rustup(&["component", "add", component]));
        }
    }
    let targets = installed(&["target", "list", "--installed"]);
    for target in std::iter::once(WASM_TARGET).chain(MOBILE_TARGETS.iter().copied()) {
        if !targets.lines().any(|line| line.trim() == target) {
            ok &= run(rustup(&["target", "add", target]));
        }
    }
    ok
}

fn rustup(args: &[&str]) -> Command {
    let mut command = Command::new("rustup");
    command.args(args);
    command
}

/// The Python environment, rebuilt when the requirements change.
pub fn python() -> bool {
    let root = workspace();
    let venv = root.join(VENV);
    let python = venv.join("bin/python");
    let stamp = venv.join(".niochat-requirements");
    let mut wanted = String::new();
    for file in REQUIREMENTS {
        match std::fs::read_to_string(root.join(file)) {
            Ok(text) => wanted.push_str(&text),
            Err(error) => {
                eprintln!("{file}: {error}");
                return false;
            }
        }
    }
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_ref() == Some(&wanted) {
        println!("up to date: {}", venv.display());
        return true;
    }
    if !python.exists() {
        if !python_ready() {
            return false;
        }
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(&venv);
        if !run(create) {
            eprintln!(
                "python3 -m venv failed: install Python 3 with its venv module (python3-venv)"
            );
            return false;
        }
    }
    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    for file in REQUIREMENTS {
        pip.arg("-r").arg(root.join(file));
    }
    run(pip) && std::fs::write(&stamp, wanted).is_ok()
}

/// python3 at [`PYTHON_MIN`] or newer with its venv module, from Debian's packages when the
/// machine lacks either (bookworm's python3 is 3.11).
fn python_ready() -> bool {
    let ready = || python_version().is_some_and(|version| version >= PYTHON_MIN) && has_venv();
    if ready() || (apt_install(&["python3", "python3-venv"]) && ready()) {
        return true;
    }
    let (major, minor) = PYTHON_MIN;
    match python_version() {
        Some((found, found_minor)) if (found, found_minor) < PYTHON_MIN => eprintln!(
            "python3 is {found}.{found_minor}; the real servers need {major}.{minor} or newer"
        ),
        Some(_) => eprintln!("python3 has no venv module: install python3-venv"),
        None => eprintln!("python3 not found: the real servers need Python {major}.{minor}+"),
    }
    false
}

fn python_version() -> Option<(u32, u32)> {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(*sys.version_info[:2])"])
        .output()
        .ok()?;
    let version: Vec<u32> = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|part| part.parse().ok())
        .collect();
    match version[..] {
        [major, minor] => Some((major, minor)),
        _ => None,
    }
}

/// Whether `python3 -m venv` can make an environment with pip (Debian splits `ensurepip`
/// into python3-venv).
fn has_venv() -> bool {
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// `npm ci` in `folder`, again only when its lockfile changes.
pub fn node(folder: &str) -> bool {
    let path = workspace().join(folder);
    let stamp = path.join("node_modules/.niochat-lock");
    let Ok(wanted) = std::fs::read_to_string(path.join("package-lock.json")) else {
        eprintln!("{folder}/package-lock.json is missing");
        return false;
    };
    if std::fs::read_to_string(&stamp).ok().as_ref() == Some(&wanted) {
        println!("up to date: {folder}/node_modules");
        return true;
    }
    if !node_is_recent() {
        return false;
    }
    // npm 11 writes Vite's lockfiles without rollup's optional per-platform packages and
    // then refuses them in `npm ci` ("Missing: @rollup/rollup-android-arm-eabi@"): there,
    // `npm install` (which follows the lockfile too) is used instead.
    let vite = wanted.contains("\"node_modules/vite\"");
    let mut npm = Command::new("npm");
    npm.args([if vite { "install" } else { "ci" }])
        .args(["--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&path);
    if !run(npm) {
        eprintln!("npm could not install the packages of {folder}");
        return false;
    }
    // `npm install` may complete the lockfile (the optional packages above): the stamp is
    // the lockfile as it is now, so that the next run does not install again.
    let installed = std::fs::read_to_string(path.join("package-lock.json")).unwrap_or(wanted);
    std::fs::write(&stamp, installed).is_ok()
}

/// Node at [`NODE_MIN`] or newer with npm: the machine's, else Debian's packages (for npm),
/// and when Debian's Node is older (bookworm's is 18), Node [`REGISTRY_NODE`] from the npm
/// registry (the `node-linux-<arch>` package holds the official binary) in
/// [`REGISTRY_NODE_DIR`], put first on this process's `PATH`.
fn node_is_recent() -> bool {
    let ready = || node_version().is_some_and(|version| version >= NODE_MIN) && has_npm();
    if ready() || (apt_install(&["nodejs", "npm"]) && ready()) {
        return true;
    }
    if has_npm() && install_registry_node() && ready() {
        return true;
    }
    let (major, minor) = NODE_MIN;
    match node_version() {
        Some((has, _)) => eprintln!("node is {has}: the suites need Node {major}.{minor}+ and npm"),
        None => eprintln!("node not found: the suites need Node {major}.{minor}+ and npm"),
    }
    false
}

fn install_registry_node() -> bool {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => {
            eprintln!("no Node from the npm registry for {other}");
            return false;
        }
    };
    let package = format!("node-linux-{arch}@{REGISTRY_NODE}");
    println!("the machine's Node is too old: installing {package} from the npm registry");
    let mut npm = Command::new("npm");
    npm.args([
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ])
    .arg("--prefix")
    .arg(workspace().join(REGISTRY_NODE_DIR))
    .arg(&package);
    run(npm) && use_registry_node()
}

/// Puts the Node installed by [`install_registry_node`] first on `PATH`, if there is one;
/// whether there is. Called before any step runs, so that every suite (and npm) uses it, and
/// right after installing it. Setting the environment is `unsafe` because another thread
/// could read it meanwhile: xtask runs its steps on its one thread, in child processes.
#[allow(unsafe_code)]
pub fn use_registry_node() -> bool {
    let Ok(entries) = std::fs::read_dir(workspace().join(REGISTRY_NODE_DIR).join("node_modules"))
    else {
        return false;
    };
    let Some(bin) = entries
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .find(|bin| bin.join("node").is_file())
    else {
        return false;
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    let joined = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&path)));
    match joined {
        Ok(joined) => {
            // SAFETY: xtask has one thread (see above).
            unsafe { std::env::set_var("PATH", joined) };
            true
        }
        Err(_) => false,
    }
}

/// The machine's Node as (major, minor).
fn node_version() -> Option<(u32, u32)> {
    let output = Command::new("node").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.trim().trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn has_npm() -> bool {
    Command::new("npm").arg("--version").output().is_ok()
}

/// Whether `pkg-config` finds OpenSSL, which rust_socketio (the bench's Rust Socket.IO
/// peer, through reqwest and native-tls) needs to build.
pub fn openssl_available() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .status()
        .is_ok_and(|status| status.success())
}

/// The WebDriver of Debian's Chromium, which wasm-bindgen-test-runner drives.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// JNA from Debian, which the generated Kotlin bindings load the library with.
pub const JNA: &str = "/usr/share/java/jna.jar";
/// Debian's Chromium, which Playwright drives (never a downloaded browser).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium and its WebDriver from Debian's packages (as root, or through `sudo -n`).
pub fn browser() -> bool {
    debian_packages(&[CHROMIUM, CHROMEDRIVER], &["chromium", "chromium-driver"])
}

/// JNA (for the Kotlin bindings) and a Java runtime, from Debian's packages.
pub fn jvm() -> bool {
    let java = Command::new("java").arg("-version").output().is_ok();
    let packages: &[&str] = if java {
        &["libjna-java"]
    } else {
        &["libjna-java", "openjdk-17-jdk-headless"]
    };
    debian_packages(&[JNA], packages) && Command::new("java").arg("-version").output().is_ok()
}

/// Installs `packages` with apt-get unless every file of `present` exists.
fn debian_packages(present: &[&str], packages: &[&str]) -> bool {
    let there = || present.iter().all(|file| Path::new(file).exists());
    if there() {
        println!("up to date: {}", present.join(", "));
        return true;
    }
    if !apt_install(packages) || !there() {
        eprintln!(
            "could not install {}: run `apt-get install {}` as root",
            packages.join(", "),
            packages.join(" ")
        );
        return false;
    }
    true
}

/// `apt-get install` of `packages` (after `apt-get update` if the first try fails), as root
/// or through `sudo -n`.
fn apt_install(packages: &[&str]) -> bool {
    let apt = |args: &[&str]| {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|output| output.stdout.starts_with(b"0"));
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(command)
    };
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend_from_slice(packages);
    apt(&install) || (apt(&["update"]) && apt(&install))
}

/// wasm-bindgen-cli (with wasm-bindgen-test-runner) at the version of the `wasm-bindgen`
/// crate in Cargo.lock: the two must match exactly. Never `--locked` (see TOOLCHAIN.md).
pub fn wasm_bindgen_cli() -> bool {
    let lock = std::fs::read_to_string(workspace().join("Cargo.lock")).unwrap_or_default();
    let Some(version) = lock
        .split("[[package]]")
        .find(|package| package.contains("name = \"wasm-bindgen\"\n"))
        .and_then(|package| package.split("version = \"").nth(1))
        .and_then(|rest| rest.split('"').next())
    else {
        eprintln!("no wasm-bindgen in Cargo.lock");
        return false;
    };
    let installed = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    if installed.split_whitespace().nth(1) == Some(version) {
        println!("up to date: wasm-bindgen {version}");
        return true;
    }
    let mut install = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    install.args(["install", "wasm-bindgen-cli", "--version", version]);
    // Its own target directory: the workspace's would be rebuilt for nothing.
    install.env("CARGO_TARGET_DIR", workspace().join("target/tools"));
    run(install)
}

/// The Python the test kit should use.
pub fn venv_python() -> std::path::PathBuf {
    workspace().join(VENV).join("bin/python")
}

/// A nightly toolchain and cargo-fuzz, for `cargo xtask fuzz`.
pub fn fuzzing() -> bool {
    let nightly = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains("nightly"));
    if !nightly
        && !run(rustup(&[
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))
    {
        return false;
    }
    let fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if fuzz {
        println!("up to date: nightly, cargo-fuzz");
        return true;
    }
    let mut install = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    install
        .args(["install", "cargo-fuzz"])
        .env("CARGO_TARGET_DIR", workspace().join("target/tools"));
    run(install)
}
