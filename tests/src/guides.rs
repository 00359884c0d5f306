//! The guides' Rust samples (`docs/`), run as doc tests of the test kit: they can start the
//! kit's real servers in hidden lines, and `cargo xtask test` fails when a page with Rust
//! samples is not listed here.

/// `docs/getting-started/rust.md`
#[doc = include_str!("../../docs/getting-started/rust.md")]
pub struct RustGuide;

/// `docs/configuration.md`
#[doc = include_str!("../../docs/configuration.md")]
pub struct Configuration;

/// `docs/reliability.md`
#[doc = include_str!("../../docs/reliability.md")]
pub struct Reliability;

/// `docs/backends/protocol-001.md`
#[doc = include_str!("../../docs/backends/protocol-001.md")]
pub struct Protocol001;

/// `docs/backends/niochat.md`
#[doc = include_str!("../../docs/backends/niochat.md")]
pub struct NioChat;

/// `docs/backends/pytake.md`
#[doc = include_str!("../../docs/backends/pytake.md")]
pub struct PyTake;

/// `docs/backends/pytake-go.md`
#[doc = include_str!("../../docs/backends/pytake-go.md")]
pub struct PyTakeGo;

/// `docs/backends/conectcrm.md`
#[doc = include_str!("../../docs/backends/conectcrm.md")]
pub struct ConectCrm;
