//! `cargo xtask bench`: the SDK side by side with a hand-written tokio-tungstenite client (and,
//! for Socket.IO, with rust_socketio and socket.io-client), in one invocation, alternating
//! rounds, one table: figure | raw | SDK | ratio (medians, and the min–max of the per-round
//! ratios). Also written as JSON to `target/bench/report.json`.
//!
//! The benchmark server runs in a child process (`--serve`), and each memory measurement in a
//! fresh child (`--memory raw|sdk N URL`), so that what is measured is the clients alone.
//! Nothing here asserts anything about speed: the table is for people.
#![forbid(unsafe_code)]

/// `--features mimalloc`: every side of the benchmark on mimalloc, to see how much of a gap
/// is the system allocator's (the SDK hands each message from the driver's thread to the
/// application's, so its allocations are freed on another thread than made).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod figures;
mod memory;
mod raw;
mod report;
mod sdk;
mod server;
mod socket_io;

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// The sizes of one run.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub rounds: usize,
    pub receive: u64,
    pub sequential: usize,
    pub pipelined: usize,
    pub idle: usize,
    pub flush: usize,
    pub socket_io: u64,
}

const FULL: Sizes = Sizes {
    rounds: 5,
    receive: 200_000,
    sequential: 2_000,
    pipelined: 100_000,
    idle: 2_000,
    flush: 100,
    socket_io: 100_000,
};

const QUICK: Sizes = Sizes {
    rounds: 2,
    receive: 5_000,
    sequential: 100,
    pipelined: 2_000,
    idle: 50,
    flush: 100,
    socket_io: 2_000,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--current-thread`: everything on one thread, to see what thread hops cost.
    let mut runtime = match args.iter().any(|arg| arg == "--current-thread") {
        true => tokio::runtime::Builder::new_current_thread(),
        false => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = runtime.enable_all().build().expect("a tokio runtime");
    runtime.block_on(run(args));
}

async fn run(args: Vec<String>) {
    match args.first().map(String::as_str) {
        Some("--serve") => server::serve().await,
        Some("--memory") => memory::child(&args[1..]).await,
        // One figure's side alone, for a profiler: `--profile receive|pipelined[-10000]|
        // sequential|socket_io` (`receive` and `pipelined` also `...-in-task`, with the
        // driver in the app's task), or the reference's `raw-receive|raw-pipelined[-10000]`.
        Some("--profile") => {
            let server = BenchServer::start().await;
            figures::profile(&server, args.get(1).map_or("receive", String::as_str), FULL).await;
        }
        _ => {
            let quick = args.iter().any(|arg| arg == "--quick");
            let sizes = if quick { QUICK } else { FULL };
            // `--only receive,socket_io`: some figures alone, while working on them.
            let only: Vec<String> = args
                .iter()
                .position(|arg| arg == "--only")
                .and_then(|at| args.get(at + 1))
                .map(|names| names.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            let mut server = BenchServer::start().await;
            let rows = figures::run(&mut server, sizes, &only).await;
            report::print(&rows, sizes);
            // A quick run (the test command's) does not overwrite the real figures.
            let file = match quick {
                true => "report-quick.json",
                false => "report.json",
            };
            report::write_json(&rows, file);
        }
    }
}

/// The benchmark server's child process.
pub struct BenchServer {
    _child: Child,
    control: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    pub port: u16,
}

impl BenchServer {
    async fn start() -> Self {
        let mut command =
            tokio::process::Command::new(std::env::current_exe().expect("this program"));
        command.arg("--serve");
        let (mut child, lines, port) = spawn_listening(command).await;
        let control = child.stdin.take().expect("piped");
        Self {
            _child: child,
            control,
            lines,
            port,
        }
    }

    /// A URL for a connection of `mode` (`blast&n=N`, `echo`, `idle`).
    pub fn url(&self, mode: &str) -> String {
        format!("ws://127.0.0.1:{}/ws?mode={mode}", self.port)
    }

    /// Stops listening and drops every connection (`stop`), or listens again (`start`).
    pub async fn control(&mut self, command: &str) {
        self.control
            .write_all(format!("{command}\n").as_bytes())
            .await
            .expect("the server reads its commands");
        let done = if command == "stop" {
            "STOPPED"
        } else {
            "STARTED"
        };
        while let Ok(Some(line)) = self.lines.next_line().await {
            if line == done {
                return;
            }
        }
    }
}

/// Starts a server process with piped standard streams (it exits when its input closes) and
/// reads the `LISTENING <port>` line it prints once bound.
pub async fn spawn_listening(
    mut command: tokio::process::Command,
) -> (Child, Lines<BufReader<ChildStdout>>, u16) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    loop {
        let line = lines
            .next_line()
            .await
            .ok()
            .flatten()
            .expect("the server says its port");
        if let Some(port) = line.strip_prefix("LISTENING ") {
            return (child, lines, port.parse().expect("a port"));
        }
    }
}
