//! Every dialect's decoder on arbitrary bytes: the first byte picks the backend, the rest is
//! the frame (as text when it is UTF-8, and always as binary). It must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use niochat_client::dialect::Backend;
use niochat_client::dialect::niochat::{Endpoint, NioChat};
use niochat_client::dialect::pytake_go::PyTakeGo;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let backend = match pick % 5 {
        0 => Backend::Renum,
        1 => Backend::PyTake,
        2 => Backend::PyTakeGo(PyTakeGo::default()),
        3 => Backend::ConectCrm,
        _ => Backend::NioChat(NioChat::new(Endpoint::Conversation("1".into()))),
    };
    let mut dialect = backend.protocol().dialect(Some("t".into()));
    let mut inbound = Vec::new();
    dialect.on_open(&mut inbound);
    if let Ok(text) = std::str::from_utf8(frame) {
        // Frames separated by newlines: a sequence, as a connection would bring them.
        for line in text.split('\n') {
            dialect.on_text(line, &mut inbound);
        }
    }
    dialect.on_binary(frame, &mut inbound);
});
