//! The reliability runs: `cargo xtask soak` (every backend through the chaos proxy, and the
//! reconnect storm) and `cargo xtask fuzz` (the cargo-fuzz targets), with the short forms
//! `cargo xtask test` runs. The figures they print are in RELIABILITY.md.

use std::process::{Command, ExitCode};

use crate::{cargo, install, run, run_steps, step, workspace};

/// The backends a soak can run on: protocol 001 (messages sent by the SDK) and those whose
/// messages are posted through the server's API.
pub const SOAK_BACKENDS: &[&str] = &["renum", "pytake", "niochat", "conectcrm", "pytake-go"];

/// `cargo xtask soak`: the soak runs (protocol 001: 10,000 messages at 50/s, or `--minutes M`
/// at 50/s; every other backend: 3,000 messages) and the reconnect storm. `--backend B` runs
/// one soak only.
pub fn soak(args: &[String]) -> ExitCode {
    let value = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|at| args.get(at + 1))
            .cloned()
    };
    let chosen = value("--backend");
    if let Some(other) = chosen
        .as_deref()
        .filter(|backend| !SOAK_BACKENDS.contains(backend))
    {
        eprintln!("no soak for {other}: {}", SOAK_BACKENDS.join(", "));
        return ExitCode::from(2);
    }
    let minutes = value("--minutes").and_then(|minutes| minutes.parse::<f64>().ok());
    let sent = minutes.map_or(10_000, |minutes| (minutes * 60.0 * 50.0) as usize);
    let posted = minutes.map_or(3_000, |_| sent);
    let seed = value("--seed")
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(1);
    let mut steps = Vec::new();
    for backend in SOAK_BACKENDS {
        if chosen.as_deref().is_some_and(|chosen| chosen != *backend) {
            continue;
        }
        let messages = if *backend == "renum" { sent } else { posted };
        steps.push(step(backend, move |_| {
            soak_run(backend, messages, 50, seed)
        }));
    }
    steps.push(step("reconnect storm", |_| storm_run(1_000)));
    run_steps(&steps)
}

/// The fuzz targets (`fuzz/`): every dialect's decoder, the engine, and protocol 001's
/// hand-read frames against serde.
const FUZZ_TARGETS: &[&str] = &["dialects", "engine", "renum_frames"];

/// `cargo xtask fuzz [--minutes M]`: each target for M minutes (10 by default) with
/// cargo-fuzz on nightly, installing both when missing.
pub fn fuzz(args: &[String]) -> ExitCode {
    let minutes: f64 = args
        .iter()
        .position(|arg| arg == "--minutes")
        .and_then(|at| args.get(at + 1)?.parse().ok())
        .unwrap_or(10.0);
    let seconds = (minutes * 60.0).round() as u64;
    let mut steps = vec![install("install: nightly and cargo-fuzz", install::fuzzing)];
    for target in FUZZ_TARGETS {
        steps.push(step(target, move |_| {
            let mut fuzz = Command::new("cargo");
            fuzz.args(["+nightly", "fuzz", "run", "--fuzz-dir", "fuzz", target]);
            // Committed seeds, when the target has some, beside the corpus it grows.
            let seeds = workspace().join("fuzz/seeds").join(target);
            if seeds.is_dir() {
                let corpus = workspace().join("fuzz/corpus").join(target);
                if std::fs::create_dir_all(&corpus).is_err() {
                    return false;
                }
                fuzz.arg(corpus).arg(seeds);
            }
            fuzz.arg("--")
                .arg(format!("-max_total_time={seconds}"))
                .current_dir(workspace());
            run(fuzz)
        }));
    }
    run_steps(&steps)
}

pub fn soak_run(backend: &str, messages: usize, rate: u32, seed: u64) -> bool {
    let mut soak = cargo(&[
        "run",
        "--quiet",
        "-p",
        "niochat-testkit",
        "--bin",
        "niochat-soak",
        "--",
    ]);
    soak.env("NIOCHAT_PYTHON", install::venv_python()).args([
        "--backend",
        backend,
        "--messages",
        &messages.to_string(),
        "--rate",
        &rate.to_string(),
        "--seed",
        &seed.to_string(),
    ]);
    run(soak)
}

/// The storm needs about three descriptors per client: raised through the shell's `ulimit`.
pub fn storm_run(clients: usize) -> bool {
    let build = cargo(&[
        "build",
        "--quiet",
        "-p",
        "niochat-testkit",
        "--bin",
        "niochat-storm",
    ]);
    if !run(build) {
        return false;
    }
    let binary = workspace().join("target/debug/niochat-storm");
    let mut storm = Command::new("bash");
    storm.arg("-c").arg(format!(
        "ulimit -n 20000 2>/dev/null || ulimit -n $(ulimit -Hn); exec '{}' --clients {clients}",
        binary.display()
    ));
    run(storm)
}
