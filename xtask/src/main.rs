//! Project automation.
//!
//! - `cargo xtask test`: the one command that checks everything. It installs what the suites
//!   need (rustfmt, clippy, the wasm32 and mobile targets; a Python environment with the
//!   pinned real servers and pytest; the Node packages of the servers, the web examples, the
//!   npm tools and kotlinc; wasm-bindgen-cli; Chromium and chromedriver; JNA and a Java
//!   runtime; cargo-deny), then runs formatting, lints, every test suite, the wasm32 build of
//!   the core, the docs, the chat demo and a quick run of the benchmark (which asserts
//!   nothing about speed). `.ci/run` calls exactly this.
//! - `cargo xtask bench [--quick] [--only FIGURES] [--mimalloc]`: the benchmark in release
//!   mode, with every peer.
//!
//! The step runner (named steps, installs that stop the run, the test tally) is in `steps`.
// One exception, allowed where it is: `PATH` set while xtask has a single thread.
#![deny(unsafe_code)]

mod dist;
mod ffi;
mod guides;
mod install;
mod release;
mod reliability;
mod steps;
mod web;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) use steps::{Tally, cargo, install, run, run_counting, run_steps, step};

/// The Node servers: the ConectCRM replica (tests) and the benchmark's socket.io pair.
const NODE_FOLDERS: &[&str] = &[
    "tests/servers/conectcrm",
    "bench/node",
    web::TOOLS,
    "examples/web/node",
    "examples/web/react",
    "examples/web/vue",
    "examples/web/angular",
    ffi::KOTLIN_TOOLS,
];

fn main() -> ExitCode {
    // A Node installed from the npm registry by an earlier run (see `install`) comes first.
    install::use_registry_node();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("npm") => npm(),
        Some("soak") => reliability::soak(&args[1..]),
        Some("fuzz") => reliability::fuzz(&args[1..]),
        Some("ffi") => run_steps(&[
            step("the UniFFI bindings into target/ffi", |_| ffi::generate()),
            step("the Swift checks", |_| ffi::swift_checks()),
        ]),
        Some("guides") => run_steps(&[step(
            "the guides' samples extracted from docs/ into target/guides",
            |_| guides::extract(),
        )]),
        Some("dist") => run_steps(&[
            install(
                "install: a Python environment with pip and setuptools",
                install::python,
            ),
            install("the UniFFI bindings into target/ffi", ffi::generate),
            step(
                "target/dist: Android, JVM and iOS layouts, the Python wheel",
                |_| dist::assemble(),
            ),
        ]),
        _ => {
            eprintln!(
                "usage: cargo xtask test | npm | ffi | dist | guides | soak [--minutes M] [--seed S] | fuzz [--minutes M] | bench [--quick] [--only FIGURES] [--mimalloc]"
            );
            ExitCode::from(2)
        }
    }
}

fn test() -> ExitCode {
    let steps = vec![
        install(
            "install: rustfmt, clippy, the wasm32 and mobile targets",
            install::rust,
        ),
        install(
            "install: a Python environment with the pinned real servers",
            install::python,
        ),
        install(
            "install: the Node packages of the socket.io servers and the npm tools",
            || NODE_FOLDERS.iter().all(|folder| install::node(folder)),
        ),
        install(
            "install: wasm-bindgen-cli at the locked version",
            install::wasm_bindgen_cli,
        ),
        install("install: Chromium and chromedriver", install::browser),
        install("install: JNA and a Java runtime", install::jvm),
        step("format", |_| run(cargo(&["fmt", "--all", "--", "--check"]))),
        step(
            "the guides' samples extracted from docs/ into target/guides",
            |_| guides::extract(),
        ),
        step("lint", |_| {
            run(cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        }),
        step("unit, integration and doc tests", |tally| {
            let mut test = cargo(&["test", "--workspace"]);
            test.env("NIOCHAT_PYTHON", install::venv_python());
            run_counting(test, tally)
        }),
        step("lint the browser code (wasm32)", |_| {
            run(cargo(&[
                "clippy",
                "--target",
                install::WASM_TARGET,
                "-p",
                "niochat-client",
                "-p",
                "niochat-wasm",
                "--no-default-features",
                "--features",
                "niochat-client/web",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        }),
        step("the browser suite in headless Chromium", |tally| {
            web::TestServers::start().is_some_and(|servers| web::browser_suite(&servers, tally))
        }),
        step("the npm package builds and packs (cargo xtask npm)", |_| {
            web::npm_package()
                && web::no_any_in_declarations()
                && web::publish_dry_run()
                && web::print_size()
                && web::build_examples()
        }),
        step(
            "the package in Node, the React and Vue examples in Chromium",
            |tally| {
                web::TestServers::start().is_some_and(|servers| web::example_tests(&servers, tally))
            },
        ),
        step(
            "the UniFFI bindings generated for Kotlin, Swift and Python",
            |_| ffi::generate(),
        ),
        step(
            "target/dist (cargo xtask dist): Android, JVM and iOS layouts, the Python wheel in a fresh venv",
            |_| dist::assemble(),
        ),
        step(
            "the Python and Kotlin suites of the bindings against the real servers",
            |tally| {
                web::TestServers::start().is_some_and(|servers| {
                    let python = ffi::python_suite(&servers, tally);
                    ffi::kotlin_suite(&servers, tally) && python
                })
            },
        ),
        step(
            "Swift: the C header compiles and the package agrees with the bindings",
            |_| ffi::swift_checks(),
        ),
        step(
            "the core checks for Android and iOS (pure Rust, no native transport)",
            |_| {
                // Clippy, not check: code unused without the native driver must fail here.
                install::MOBILE_TARGETS.iter().all(|target| {
                    run(cargo(&[
                        "clippy",
                        "-p",
                        "niochat-client",
                        "--no-default-features",
                        "--target",
                        target,
                        "--",
                        "-D",
                        "warnings",
                    ]))
                })
            },
        ),
        step(
            "soak (short forms, every backend through the chaos proxy) and reconnect storm",
            |_| {
                let short = |backend: &&str| match *backend {
                    "renum" => reliability::soak_run(backend, 2_000, 100, 1),
                    _ => reliability::soak_run(backend, 150, 50, 1),
                };
                let failed = reliability::SOAK_BACKENDS
                    .iter()
                    .filter(|backend| !short(backend))
                    .count();
                failed == 0 && reliability::storm_run(1_000)
            },
        ),
        step("one version across crates and packages", |_| {
            release::versions_agree()
        }),
        step(
            "supply chain: cargo deny (licenses, bans, sources) and cargo package",
            |_| release::supply_chain(),
        ),
        step("the minimum Rust version builds niochat-client", |_| {
            release::minimum_rust_version()
        }),
        step(
            "docs build without warnings, as docs.rs builds them",
            |_| {
                // niochat-client's `package.metadata.docs.rs`: both drivers' features, on Linux
                // and on wasm32.
                let doc = |packages: &[&str], target: Option<&str>| {
                    let mut doc = cargo(&["doc", "--no-deps"]);
                    for package in packages {
                        doc.args(["-p", package]);
                    }
                    doc.args(["--features", "niochat-client/native niochat-client/web"]);
                    if let Some(target) = target {
                        doc.args(["--target", target]);
                    }
                    doc.env("RUSTDOCFLAGS", "-D warnings");
                    run(doc)
                };
                doc(&["niochat-client", "niochat-testkit"], None)
                    && doc(&["niochat-client"], Some(install::WASM_TARGET))
            },
        ),
        step("the chat demo tells its story", |_| {
            run(cargo(&[
                "run",
                "--quiet",
                "--example",
                "chat",
                "--",
                "--demo",
            ]))
        }),
        step(
            "the benchmark builds and runs (quick, debug build: figures not meaningful)",
            |_| {
                run(cargo(&[
                    "run",
                    "--quiet",
                    "-p",
                    "niochat-bench",
                    "--",
                    "--quick",
                ]))
            },
        ),
    ];
    run_steps(&steps)
}

/// `cargo xtask npm`: the npm package in `target/npm/niochat` and its tarball.
fn npm() -> ExitCode {
    let steps = vec![
        install("install: the wasm32 and mobile targets", install::rust),
        install(
            "install: wasm-bindgen-cli at the locked version",
            install::wasm_bindgen_cli,
        ),
        install("install: the npm tools", || install::node(web::TOOLS)),
        step("the npm package", |_| {
            web::npm_package() && web::no_any_in_declarations() && web::print_size()
        }),
    ];
    let code = run_steps(&steps);
    println!("package: {}", web::tarball().display());
    code
}

/// `cargo xtask bench`: a release build, with rust_socketio when OpenSSL is there to build it.
///
/// `--mimalloc` runs every side on mimalloc instead of the system allocator.
fn bench(args: &[String]) -> ExitCode {
    let mimalloc = args.iter().any(|arg| arg == "--mimalloc");
    let args: Vec<String> = args
        .iter()
        .filter(|arg| *arg != "--mimalloc")
        .cloned()
        .collect();
    let peers = install::openssl_available();
    if !peers {
        eprintln!(
            "OpenSSL (libssl-dev, pkg-config) not found: the rust_socketio rows are left out"
        );
    }
    let steps = vec![
        install(
            "install: the Node packages of the socket.io servers",
            || install::node("bench/node"),
        ),
        step("benchmark (release)", move |_| {
            let mut bench = cargo(&["run", "--quiet", "--release", "-p", "niochat-bench"]);
            if peers {
                bench.args(["--features", "peers"]);
            }
            if mimalloc {
                bench.args(["--features", "mimalloc"]);
            }
            bench.arg("--").args(&args);
            run(bench)
        }),
        install(
            "install: the wasm32 target, wasm-bindgen-cli and the npm tools",
            || install::rust() && install::wasm_bindgen_cli() && install::node(web::TOOLS),
        ),
        step("download size of the npm package", |_| {
            web::npm_package() && web::print_size()
        }),
    ];
    run_steps(&steps)
}

/// Copies `from` to `to`, making `to`'s folder; says what failed.
pub(crate) fn copy_file(from: &Path, to: &Path) -> bool {
    let ok = to
        .parent()
        .is_some_and(|dir| std::fs::create_dir_all(dir).is_ok())
        && std::fs::copy(from, to).is_ok();
    if !ok {
        eprintln!("cannot copy {} to {}", from.display(), to.display());
    }
    ok
}

pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}
