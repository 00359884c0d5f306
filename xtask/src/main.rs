//! Project automation. `cargo xtask test` is the one command that checks everything: it
//! installs what the suites need (the wasm32 target, rustfmt, clippy, a Python environment
//! with the pinned real servers), then runs formatting, lints, every test suite, the wasm32
//! build of the core, the docs, and the chat demo. `.ci/run` calls exactly this.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Where the Python environment for the real servers lives (the test kit looks there).
const VENV: &str = "target/niochat-venv";
/// The pinned packages of the real Python servers (python-socketio, uvicorn, Django Channels...).
const REQUIREMENTS: &[&str] = &[
    "tests/servers/requirements.txt",
    "tests/servers/niochat/requirements.txt",
];
/// The Node server (socket.io), installed from its lockfile.
const NODE_SERVER: &str = "tests/servers/conectcrm";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(),
        _ => {
            eprintln!("usage: cargo xtask test");
            ExitCode::from(2)
        }
    }
}

/// Tests counted from cargo's `test result:` lines.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
}

/// One step of `cargo xtask test`: true when it passed.
type Step = dyn Fn(&mut Tally) -> bool;

fn test() -> ExitCode {
    let started = Instant::now();
    let mut tally = Tally::default();
    let steps: Vec<(&str, Box<Step>)> = vec![
        (
            "install: rustfmt, clippy, the wasm32 target",
            Box::new(|_| install()),
        ),
        (
            "install: a Python environment with the pinned real servers",
            Box::new(|_| install_python()),
        ),
        (
            "install: the Node packages of the real socket.io server",
            Box::new(|_| install_node()),
        ),
        (
            "format",
            Box::new(|_| run(cargo(&["fmt", "--all", "--", "--check"]))),
        ),
        (
            "lint",
            Box::new(|_| {
                run(cargo(&[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]))
            }),
        ),
        (
            "unit, integration and doc tests",
            Box::new(|tally| {
                let mut test = cargo(&["test", "--workspace"]);
                test.env("NIOCHAT_PYTHON", workspace().join(VENV).join("bin/python"));
                run_counting(test, tally)
            }),
        ),
        (
            "the core builds for the browser (no native transport)",
            Box::new(|_| {
                run(cargo(&[
                    "check",
                    "-p",
                    "niochat-client",
                    "--target",
                    WASM_TARGET,
                    "--no-default-features",
                ]))
            }),
        ),
        (
            "docs build without warnings",
            Box::new(|_| {
                let mut doc = cargo(&[
                    "doc",
                    "--no-deps",
                    "-p",
                    "niochat-client",
                    "-p",
                    "niochat-testkit",
                ]);
                doc.env("RUSTDOCFLAGS", "-D warnings");
                run(doc)
            }),
        ),
        (
            "the chat demo tells its story",
            Box::new(|_| {
                run(cargo(&[
                    "run",
                    "--quiet",
                    "--example",
                    "chat",
                    "--",
                    "--demo",
                ]))
            }),
        ),
    ];
    let mut failed_steps = Vec::new();
    for (name, step) in &steps {
        println!("\n==> {name}");
        let step_started = Instant::now();
        let ok = step(&mut tally);
        println!(
            "==> {name}: {} in {:.0?}",
            if ok { "ok" } else { "FAILED" },
            step_started.elapsed()
        );
        if !ok {
            failed_steps.push(*name);
        }
    }
    println!("\nxtask test finished in {:.0?}", started.elapsed());
    for name in &failed_steps {
        println!("failed step: {name}");
    }
    println!("tests: {} passed, {} failed", tally.passed, tally.failed);
    if failed_steps.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(args);
    command
}

fn run(mut command: Command) -> bool {
    command
        .status()
        .map(|status| status.success())
        .unwrap_or_else(|error| {
            eprintln!("could not run {command:?}: {error}");
            false
        })
}

/// Runs a `cargo test`, echoing its output and adding up its `test result:` lines.
fn run_counting(mut command: Command, tally: &mut Tally) -> bool {
    let Ok(mut child) = command.stdout(Stdio::piped()).spawn() else {
        eprintln!("could not run {command:?}");
        return false;
    };
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(result) = line.strip_prefix("test result: ") {
                tally.passed += count(result, "passed");
                tally.failed += count(result, "failed");
            }
        }
    }
    child.wait().map(|status| status.success()).unwrap_or(false)
}

/// The number before `word` in `ok. 12 passed; 0 failed; ...`.
fn count(result: &str, word: &str) -> u64 {
    let words: Vec<&str> = result
        .split([' ', ';', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .find(|pair| pair[1] == word)
        .and_then(|pair| pair[0].parse().ok())
        .unwrap_or(0)
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

/// Idempotent: builds the environment once per version of the requirements file, recorded
/// in a stamp inside it.
fn install_python() -> bool {
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
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(&venv);
        if !run(create) {
            eprintln!("python3 -m venv failed: install Python 3 with its venv module");
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

/// Idempotent: `npm ci` once per version of the lockfile, recorded in a stamp beside the
/// installed packages.
fn install_node() -> bool {
    let folder = workspace().join(NODE_SERVER);
    let stamp = folder.join("node_modules/.niochat-lock");
    let Ok(wanted) = std::fs::read_to_string(folder.join("package-lock.json")) else {
        eprintln!("{NODE_SERVER}/package-lock.json is missing");
        return false;
    };
    if std::fs::read_to_string(&stamp).ok().as_ref() == Some(&wanted) {
        println!("up to date: {}", folder.join("node_modules").display());
        return true;
    }
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&folder);
    if !run(npm) {
        eprintln!("npm ci failed in {NODE_SERVER}: Node and npm are needed");
        return false;
    }
    std::fs::write(&stamp, wanted).is_ok()
}

/// Idempotent: asks rustup only for what is missing.
fn install() -> bool {
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
            ok &= run({
                let mut add = Command::new("rustup");
                add.args(["component", "add", component]);
                add
            });
        }
    }
    if !installed(&["target", "list", "--installed"])
        .lines()
        .any(|line| line.trim() == WASM_TARGET)
    {
        let mut add = Command::new("rustup");
        add.args(["target", "add", WASM_TARGET]);
        ok &= run(add);
    }
    ok
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_come_from_cargo_result_lines() {
        let line =
            "ok. 12 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.43s";
        assert_eq!(super::count(line, "passed"), 12);
        assert_eq!(super::count(line, "failed"), 3);
    }
}
