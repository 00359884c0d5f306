//! How `cargo xtask` runs its work: named steps, installs that stop the run when they fail,
//! and the tally of tests read from cargo's `test result:` lines.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Tests counted from `test result:` lines (cargo's, and the web tests' own).
#[derive(Default)]
pub(crate) struct Tally {
    passed: u64,
    failed: u64,
}

/// One step: its name, whether the steps after it need it, and what it does.
pub(crate) struct Step {
    name: &'static str,
    required: bool,
    run: Box<dyn Fn(&mut Tally) -> bool>,
}

pub(crate) fn step(name: &'static str, run: impl Fn(&mut Tally) -> bool + 'static) -> Step {
    Step {
        name,
        required: false,
        run: Box::new(run),
    }
}

/// An installation: without it the later steps would only fail in confusing ways.
pub(crate) fn install(name: &'static str, run: impl Fn() -> bool + 'static) -> Step {
    Step {
        name,
        required: true,
        run: Box::new(move |_| run()),
    }
}

pub(crate) fn run_steps(steps: &[Step]) -> ExitCode {
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut failed = Vec::new();
    let mut stopped = false;
    for step in steps {
        if stopped {
            println!("\n==> {}: skipped", step.name);
            continue;
        }
        println!("\n==> {}", step.name);
        let step_started = Instant::now();
        let ok = (step.run)(&mut tally);
        println!(
            "==> {}: {} in {:.0?}",
            step.name,
            if ok { "ok" } else { "FAILED" },
            step_started.elapsed()
        );
        if !ok {
            failed.push(step.name);
            stopped = step.required;
        }
    }
    println!("\nfinished in {:.0?}", started.elapsed());
    for name in &failed {
        println!("failed step: {name}");
    }
    if tally.passed + tally.failed > 0 {
        println!("tests: {} passed, {} failed", tally.passed, tally.failed);
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub(crate) fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(args);
    command
}

pub(crate) fn run(mut command: Command) -> bool {
    command
        .status()
        .map(|status| status.success())
        .unwrap_or_else(|error| {
            eprintln!("could not run {command:?}: {error}");
            false
        })
}

/// Runs a `cargo test`, echoing its output and adding up its `test result:` lines.
pub(crate) fn run_counting(mut command: Command, tally: &mut Tally) -> bool {
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
