//! Ids in the shape the real servers assign them, for the servers that run in this process
//! (the protocol-001 reference server and the PyTake Go replica).

/// A random version-4 UUID, as text.
pub(crate) fn uuid() -> String {
    let (a, b) = (fastrand::u64(..), fastrand::u64(..));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}
