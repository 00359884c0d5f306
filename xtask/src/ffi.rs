//! The mobile side: the UniFFI bindings generated for Kotlin, Swift and Python into
//! `target/ffi`, their suites against the real servers, and the checks of what cannot run here
//! (Swift: no compiler on these machines).
//!
//! Layout of `target/ffi`:
//! - `python/`: `niochat_ffi.py` and `libniochat_ffi.so`, importable as they are;
//! - `kotlin/`: the generated `io/niochat/niochat_ffi.kt`, `NioChatFlow.kt` and the `.so`;
//! - `swift/NioChat/`: a Swift package (`Package.swift`, `Sources/NioChat/`, the SwiftUI
//!   example) and `xcframework-inputs/include/` (the C header and module map).

use std::path::PathBuf;
use std::process::Command;

use crate::install;
use crate::web::TestServers;
use crate::{Tally, cargo, run, run_counting, workspace};

/// The Kotlin compiler and its jars (npm `kotlin-compiler`).
pub const KOTLIN_TOOLS: &str = "niochat-ffi/kotlin-tools";
const LIBRARY: &str = "libniochat_ffi.so";

fn out() -> PathBuf {
    workspace().join("target/ffi")
}

fn kotlin_lib(jar: &str) -> PathBuf {
    workspace()
        .join(KOTLIN_TOOLS)
        .join("node_modules/kotlin-compiler/lib")
        .join(jar)
}

/// Builds the library and the generator, and writes the bindings of every language.
pub fn generate() -> bool {
    let root = workspace();
    let mut build = cargo(&["build", "-p", "niochat-ffi", "--features", "bindgen"]);
    build.current_dir(&root);
    if !run(build) {
        return false;
    }
    let out = out();
    let generated = out.join("generated");
    let _ = std::fs::remove_dir_all(&out);
    let library = root.join("target/debug").join(LIBRARY);
    let mut bindgen = Command::new(root.join("target/debug/uniffi-bindgen"));
    bindgen
        .args(["generate", "--no-format", "--library"])
        .arg(&library)
        .args(["-l", "kotlin", "-l", "swift", "-l", "python", "-o"])
        .arg(&generated)
        .current_dir(root.join("niochat-ffi"));
    if !run(bindgen) {
        return false;
    }
    let copy = crate::copy_file;
    let swift = out.join("swift/NioChat");
    let template = root.join("niochat-ffi/swift");
    let placed = copy(
        &generated.join("niochat_ffi.py"),
        &out.join("python/niochat_ffi.py"),
    ) && copy(&library, &out.join("python").join(LIBRARY))
        && copy(
            &generated.join("io/niochat/niochat_ffi.kt"),
            &out.join("kotlin/io/niochat/niochat_ffi.kt"),
        )
        && copy(
            &root.join("niochat-ffi/kotlin/NioChatFlow.kt"),
            &out.join("kotlin/io/niochat/NioChatFlow.kt"),
        )
        && copy(&library, &out.join("kotlin").join(LIBRARY))
        && copy(
            &template.join("Package.swift"),
            &swift.join("Package.swift"),
        )
        && copy(
            &generated.join("NioChat.swift"),
            &swift.join("Sources/NioChat/NioChat.swift"),
        )
        && copy(
            &template.join("Sources/NioChat/NioChatEvents.swift"),
            &swift.join("Sources/NioChat/NioChatEvents.swift"),
        )
        && copy(
            &template.join("Examples/ChatModel.swift"),
            &swift.join("Examples/ChatModel.swift"),
        )
        && copy(
            &generated.join("NioChatFFI.h"),
            &swift.join("xcframework-inputs/include/NioChatFFI.h"),
        )
        && copy(
            &generated.join("NioChatFFI.modulemap"),
            &swift.join("xcframework-inputs/include/module.modulemap"),
        );
    if !placed {
        eprintln!("could not lay the bindings out in {}", out.display());
    }
    placed
}

/// pytest on the generated Python module.
pub fn python_suite(servers: &TestServers, tally: &mut Tally) -> bool {
    let mut pytest = Command::new(install::venv_python());
    pytest
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .current_dir(workspace().join("niochat-ffi/tests/python"))
        .env("PYTHONPATH", out().join("python"))
        .env("NIOCHAT_TEST_CONTROL", &servers.control)
        // The smoke test of the wheel (`cargo xtask dist`) runs the Python guide with it.
        .env("NIOCHAT_WHEEL_PYTHON", crate::dist::smoke_python())
        .env("NIOCHAT_GUIDES", crate::guides::out());
    run_counting(pytest, tally)
}

/// The Kotlin suite and the ViewModel example, compiled with kotlinc and run on the JVM.
pub fn kotlin_suite(servers: &TestServers, tally: &mut Tally) -> bool {
    let root = workspace();
    let jar = out().join("kotlin-tests.jar");
    let compile_path = format!(
        "{}:{}",
        install::JNA,
        kotlin_lib("kotlinx-coroutines-core-jvm.jar").display()
    );
    let mut kotlinc = Command::new(
        root.join(KOTLIN_TOOLS)
            .join("node_modules/kotlin-compiler/bin/kotlinc"),
    );
    kotlinc
        .args(["-nowarn", "-cp", &compile_path])
        .arg(out().join("kotlin/io/niochat/niochat_ffi.kt"))
        .arg(out().join("kotlin/io/niochat/NioChatFlow.kt"))
        .arg(root.join("examples/ffi/kotlin/ChatViewModel.kt"))
        .arg(root.join("niochat-ffi/tests/kotlin/ClientTest.kt"))
        // The guides' Kotlin samples (docs/), compiled with the rest.
        .args(crate::guides::files("kt"))
        .arg("-d")
        .arg(&jar);
    if !run(kotlinc) {
        return false;
    }
    let run_path = format!(
        "{}:{compile_path}:{}",
        jar.display(),
        kotlin_lib("kotlin-stdlib.jar").display()
    );
    let mut java = Command::new("java");
    java.arg(format!(
        "-Djna.library.path={}",
        out().join("kotlin").display()
    ))
    .args(["-cp", &run_path, "io.niochat.tests.ClientTestKt"])
    .env("NIOCHAT_TEST_CONTROL", &servers.control);
    run_counting(java, tally)
}

/// What can be checked of Swift without a Swift compiler: the C header compiles, and every
/// client method and enum case the package's own Swift (the events stream, the SwiftUI
/// example) uses exists in the generated bindings.
pub fn swift_checks() -> bool {
    let swift = out().join("swift/NioChat");
    let header = swift.join("xcframework-inputs/include/NioChatFFI.h");
    // Included from a file of its own, as a Swift module map would (`#pragma once` then
    // means what it says).
    let probe = out().join("header-check.c");
    if std::fs::write(&probe, "#include \"NioChatFFI.h\"\n").is_err() {
        return false;
    }
    let mut gcc = Command::new("gcc");
    gcc.args([
        "-fsyntax-only",
        "-Wall",
        "-D_Nullable=",
        "-D_Nonnull=",
        "-I",
    ])
    .arg(header.parent().unwrap_or(&swift))
    .arg(&probe);
    if !run(gcc) {
        eprintln!("the generated C header does not compile");
        return false;
    }
    let generated =
        std::fs::read_to_string(swift.join("Sources/NioChat/NioChat.swift")).unwrap_or_default();
    // What the package declares: the generated bindings plus its own extensions.
    let declared = generated
        + &std::fs::read_to_string(swift.join("Sources/NioChat/NioChatEvents.swift"))
            .unwrap_or_default();
    let mut ok = true;
    let package_files = [
        "Sources/NioChat/NioChatEvents.swift",
        "Examples/ChatModel.swift",
    ]
    .map(|file| swift.join(file));
    // The guides' Swift samples (docs/) too.
    let guide_files = crate::guides::files("swift");
    if guide_files.is_empty() {
        eprintln!("no Swift samples extracted from docs/");
        ok = false;
    }
    for path in package_files.iter().chain(&guide_files) {
        let file = path.display();
        let source = std::fs::read_to_string(path).unwrap_or_default();
        for name in called_methods(&source) {
            if !declared.contains(&format!("func {name}(")) {
                eprintln!("{file}: calls `{name}`, which the generated Swift does not have");
                ok = false;
            }
        }
        for protocol in adopted_protocols(&source) {
            if !declared.contains(&format!("protocol {protocol}")) {
                eprintln!(
                    "{file}: adopts `{protocol}`, which the generated Swift does not declare"
                );
                ok = false;
            }
        }
        for case in enum_cases(&source) {
            let found = declared.contains(&format!("case {case}("))
                || declared.contains(&format!("case {case}\n"));
            if !found && !SWIFTUI_CASES.contains(&case.as_str()) {
                eprintln!("{file}: matches `.{case}`, which the generated Swift does not declare");
                ok = false;
            }
        }
    }
    if ok {
        println!("the Swift package's sources agree with the generated bindings");
    }
    ok
}

/// Cases of SwiftUI's own enums the example matches (`ScenePhase`), not the bindings'.
const SWIFTUI_CASES: &[&str] = &["active", "inactive", "background"];

/// `client.name(` calls.
fn called_methods(source: &str) -> Vec<String> {
    source
        .match_indices("client.")
        .filter_map(|(at, _)| {
            let rest = &source[at + "client.".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
            rest[name.len()..].starts_with('(').then_some(name)
        })
        .collect()
}

/// Protocols of the bindings a class adopts (`class Tokens: TokenProvider {`); Foundation's
/// and SwiftUI's own are left out.
fn adopted_protocols(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| {
            let declaration = line
                .trim_start()
                .strip_prefix("final ")
                .unwrap_or(line.trim_start());
            let rest = declaration.strip_prefix("class ")?;
            let (_, adopted) = rest.split_once(':')?;
            Some(
                adopted
                    .split('{')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|name| name.trim().to_owned())
                    .filter(|name| {
                        !["ObservableObject", "NSObject", "Sendable"].contains(&name.as_str())
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect()
}

/// `case .name` patterns (and `NioChatError.Name(` catches).
fn enum_cases(source: &str) -> Vec<String> {
    let mut cases: Vec<String> = source
        .match_indices("case .")
        .map(|(at, _)| {
            source[at + "case .".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect()
        })
        .collect();
    cases.extend(source.match_indices("NioChatError.").map(|(at, _)| {
        source[at + "NioChatError.".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect::<String>()
    }));
    cases.retain(|case| !case.is_empty());
    cases
}

#[cfg(test)]
mod tests {
    #[test]
    fn swift_uses_are_found() {
        let source = "try client.connect()\ncase .statusChanged(let s):\ncatch NioChatError.QueueFull(let d)";
        assert_eq!(super::called_methods(source), ["connect"]);
        assert_eq!(super::enum_cases(source), ["statusChanged", "QueueFull"]);
        let classes = "final class Tokens: TokenProvider {\nfinal class Model: ObservableObject {}";
        assert_eq!(super::adopted_protocols(classes), ["TokenProvider"]);
    }
}
