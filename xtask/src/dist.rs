//! `cargo xtask dist`: what an Android, JVM, iOS or Python project takes, assembled in
//! `target/dist/` from the generated bindings (`target/ffi`) and a release build of the library.
//!
//! ```text
//! target/dist/
//!   android/src/main/kotlin/io/niochat/*.kt   Gradle module sources (jniLibs: build-jnilibs.sh, needs the NDK)
//!   jvm/io/niochat/*.kt, jvm/linux-x86-64/    desktop JVM: sources and the library where JNA looks
//!   ios/                                      the Swift package, XCFramework inputs, build-xcframework.sh
//!   python/niochat-<version>-py3-none-linux_x86_64.whl
//! ```
//!
//! The wheel is built with pip and setuptools (`niochat-ffi/python`), and installed into a fresh
//! virtual environment (`target/dist/smoke-venv`) for the Python suite's smoke test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, copy_file as copy, install, run, workspace};

const LIBRARY: &str = "libniochat_ffi.so";

pub fn out() -> PathBuf {
    workspace().join("target/dist")
}

/// The fresh virtual environment the wheel is installed into.
pub fn smoke_python() -> PathBuf {
    out().join("smoke-venv/bin/python")
}

/// Every file under `from`, copied to the same place under `to`.
fn copy_tree(from: &Path, to: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(from) else {
        eprintln!("cannot read {}", from.display());
        return false;
    };
    entries.flatten().all(|entry| {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target)
        } else {
            copy(&path, &target)
        }
    })
}

/// Builds the release library and lays everything out; `target/ffi` must be generated.
pub fn assemble() -> bool {
    let root = workspace();
    let mut build = cargo(&["build", "-p", "niochat-ffi", "--profile", "ffi-release"]);
    build.current_dir(&root);
    if !run(build) {
        return false;
    }
    let library = root.join("target/ffi-release").join(LIBRARY);
    let ffi = root.join("target/ffi");
    let templates = root.join("niochat-ffi/dist");
    let out = out();
    let _ = std::fs::remove_dir_all(&out);
    let kotlin = ["niochat_ffi.kt", "NioChatFlow.kt"];
    let laid_out = kotlin.iter().all(|name| {
        let source = ffi.join("kotlin/io/niochat").join(name);
        copy(
            &source,
            &out.join("android/src/main/kotlin/io/niochat").join(name),
        ) && copy(&source, &out.join("jvm/io/niochat").join(name))
    }) && copy(&library, &out.join("jvm/linux-x86-64").join(LIBRARY))
        && copy(
            &templates.join("build-jnilibs.sh"),
            &out.join("android/build-jnilibs.sh"),
        )
        && copy_tree(&ffi.join("swift/NioChat"), &out.join("ios"))
        && copy(
            &templates.join("build-xcframework.sh"),
            &out.join("ios/build-xcframework.sh"),
        )
        && copy(&templates.join("README.md"), &out.join("README.md"));
    laid_out && wheel(&library)
}

/// `pip wheel` of `niochat-ffi/python` with the generated module and the library inside.
fn wheel(library: &Path) -> bool {
    let root = workspace();
    let source = out().join("python-build");
    let package = source.join("niochat");
    let template = root.join("niochat-ffi/python");
    let placed = ["pyproject.toml", "setup.py", "README.md"]
        .iter()
        .all(|name| copy(&template.join(name), &source.join(name)))
        && copy(
            &template.join("niochat/__init__.py"),
            &package.join("__init__.py"),
        )
        && copy(
            &root.join("target/ffi/python/niochat_ffi.py"),
            &package.join("niochat_ffi.py"),
        )
        && copy(library, &package.join(LIBRARY))
        && copy(&root.join("LICENSE-MIT"), &source.join("LICENSE-MIT"))
        && copy(&root.join("LICENSE-APACHE"), &source.join("LICENSE-APACHE"));
    if !placed {
        return false;
    }
    let wheels = out().join("python");
    let mut pip = Command::new(install::venv_python());
    pip.args([
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
    ])
    .arg(&wheels)
    .arg(&source);
    if !run(pip) {
        return false;
    }
    let _ = std::fs::remove_dir_all(&source);
    // A fresh environment, as a user's: nothing but the wheel.
    let venv = out().join("smoke-venv");
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(&venv);
    let Some(wheel) = std::fs::read_dir(&wheels)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
    else {
        eprintln!("pip wheel made no wheel in {}", wheels.display());
        return false;
    };
    println!("wheel: {}", wheel.display());
    let mut pip_install = Command::new(smoke_python());
    pip_install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
        ])
        .arg(&wheel);
    run(create) && run(pip_install)
}
