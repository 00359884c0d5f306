//! Release hygiene: one version across crates and packages, and the supply-chain checks.

use std::process::Command;

use crate::{cargo, run, workspace};

/// The workspace's version, the newest release in CHANGELOG.md, the npm package built from it,
/// the Python package and the crates' manifests agree.
pub fn versions_agree() -> bool {
    let root = workspace();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let workspace_version = manifest
        .split("[workspace.package]")
        .nth(1)
        .and_then(|section| section.split("version = \"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap_or_default();
    let released = changelog
        .lines()
        .filter_map(|line| line.strip_prefix("## ["))
        .filter_map(|rest| rest.split(']').next())
        .find(|version| *version != "Unreleased")
        .unwrap_or_default()
        .to_owned();
    let package = std::fs::read_to_string(root.join("target/npm/niochat/package.json"))
        .ok()
        .and_then(|json| {
            json.split("\"version\": \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        });
    let mut ok = true;
    let mut check = |what: &str, version: &str| {
        if version != workspace_version {
            eprintln!("{what} is {version:?}, the workspace is {workspace_version:?}");
            ok = false;
        }
    };
    check("the newest release in CHANGELOG.md", &released);
    if let Some(package) = &package {
        check("the npm package", package);
    }
    let python =
        std::fs::read_to_string(root.join("niochat-ffi/python/pyproject.toml")).unwrap_or_default();
    let wheel_version = python
        .lines()
        .find_map(|line| line.strip_prefix("version = \""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    check(
        "the Python package (niochat-ffi/python/pyproject.toml)",
        wheel_version,
    );
    for crate_dir in ["niochat-client", "niochat-wasm", "niochat-ffi"] {
        let text =
            std::fs::read_to_string(root.join(crate_dir).join("Cargo.toml")).unwrap_or_default();
        if !text.contains("version.workspace = true") {
            eprintln!("{crate_dir} does not take the workspace's version");
            ok = false;
        }
    }
    if ok {
        println!("every crate and package is at {workspace_version}");
    }
    ok
}

/// `cargo deny check licenses bans sources` (cargo-deny from crates.io, installed when
/// missing) and `cargo package` of the crate users depend on (which builds it from the
/// packaged files alone).
pub fn supply_chain() -> bool {
    let installed = Command::new("cargo")
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed {
        let mut install = cargo(&["install", "cargo-deny", "--locked"]);
        install.env("CARGO_TARGET_DIR", workspace().join("target/tools"));
        if !run(install) {
            return false;
        }
    }
    let mut deny = cargo(&[
        "deny",
        "--log-level",
        "warn",
        "check",
        "licenses",
        "bans",
        "sources",
    ]);
    deny.current_dir(workspace());
    let mut package = cargo(&["package", "-p", "niochat-client", "--allow-dirty"]);
    package.current_dir(workspace());
    run(deny) && run(package)
}

/// The `rust-version` the workspace declares builds niochat-client (installed with rustup
/// when missing): the minimum is checked, not guessed. (1.87 fails: let chains.)
pub fn minimum_rust_version() -> bool {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap_or_default();
    let Some(version) = manifest
        .split("rust-version = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
    else {
        eprintln!("no rust-version in Cargo.toml");
        return false;
    };
    let installed = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains(version));
    if !installed {
        let mut install = Command::new("rustup");
        install.args(["toolchain", "install", version, "--profile", "minimal"]);
        if !run(install) {
            return false;
        }
    }
    let mut check = Command::new("cargo");
    check
        .arg(format!("+{version}"))
        .args(["check", "--quiet", "-p", "niochat-client"])
        .env("CARGO_TARGET_DIR", workspace().join("target/msrv"))
        .current_dir(workspace());
    let ok = run(check);
    if ok {
        println!("niochat-client builds with Rust {version}");
    }
    ok
}
