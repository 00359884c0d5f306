//! Protocol 001's decoder against serde alone: the frames received at volume are read by
//! hand (`plain_frames`), and the codec must answer exactly what it answers without the
//! hand reader, frames and errors alike. Seeds in `fuzz/seeds/renum_frames`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use niochat_client::dialect::renum::JsonCodec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // By `Debug`: a text id equals a numeric one under `==`, but prints with quotes.
    assert_eq!(
        format!("{:?}", JsonCodec.decode_server(text)),
        format!("{:?}", JsonCodec.decode_server_with_serde(text)),
        "{text}"
    );
});
