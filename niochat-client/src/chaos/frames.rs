//! Counting WebSocket frames in the server → client byte stream, so that the proxy can cut a
//! connection after the N-th frame (and, with a chunk ending mid-frame, in the middle of the
//! next one) without parsing anything else.

/// Counts WebSocket frames in a server → client byte stream (unmasked frames).
#[derive(Default)]
pub(super) struct FrameCounter {
    complete: u64,
    /// Bytes of the current frame still to come (header included once known).
    remaining: u64,
    header: Vec<u8>,
}

impl FrameCounter {
    /// How many bytes of `chunk` may pass before `limit` frames are complete (the cut lands
    /// just after the limit-th frame, or mid-frame if the chunk ends there).
    pub(super) fn cut_point(&mut self, chunk: &[u8], limit: u64) -> usize {
        let mut at = 0;
        while at < chunk.len() {
            if self.complete >= limit {
                return at;
            }
            if self.remaining > 0 {
                let take = (self.remaining as usize).min(chunk.len() - at);
                self.remaining -= take as u64;
                at += take;
                if self.remaining == 0 {
                    self.complete += 1;
                }
                continue;
            }
            self.header.push(chunk[at]);
            at += 1;
            if let Some((header, payload)) = frame_length(&self.header) {
                self.remaining = payload;
                let _ = header;
                self.header.clear();
                if self.remaining == 0 {
                    self.complete += 1;
                }
            }
        }
        if self.complete >= limit {
            at.min(chunk.len())
        } else {
            chunk.len()
        }
    }
}

/// The header length and payload length of a frame whose header starts `bytes`, once whole.
fn frame_length(bytes: &[u8]) -> Option<(usize, u64)> {
    let second = *bytes.get(1)?;
    let masked = second & 0x80 != 0;
    let mask = if masked { 4 } else { 0 };
    let (length, header) = match second & 0x7f {
        126 => {
            let raw = bytes.get(2..4)?;
            (u64::from(u16::from_be_bytes([raw[0], raw[1]])), 4)
        }
        127 => {
            let raw: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
            (u64::from_be_bytes(raw), 10)
        }
        short => (u64::from(short), 2),
    };
    (bytes.len() >= header + mask).then_some((header + mask, length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_counted_across_chunks() {
        let mut counter = FrameCounter::default();
        // Two text frames: "hi" and "there".
        let stream = [0x81, 2, b'h', b'i', 0x81, 5, b't', b'h', b'e', b'r', b'e'];
        assert_eq!(counter.cut_point(&stream[..3], 1), 3);
        assert_eq!(
            counter.cut_point(&stream[3..], 1),
            1,
            "cut right after the first frame"
        );
    }
}
