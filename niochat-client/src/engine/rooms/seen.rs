//! Telling a new message from a duplicate or an update, without keeping copies of messages.
//!
//! Each conversation remembers the ids it has seen, as 64-bit hashes, with a fingerprint of
//! each message's content: an id seen again with the same fingerprint is a duplicate (a sync
//! overlapping live traffic, a resend), with another fingerprint an update. The rooms in the
//! parent module decide what a delivery means; this is only their memory.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use rustc_hash::FxHasher;

use crate::model::{ChatMessage, Content, Id};

/// How many message ids per conversation are remembered for de-duplication.
const REMEMBERED_IDS: usize = 2048;

/// The ids seen in a conversation, as 64-bit hashes (no copies of the ids), with a
/// fingerprint of each message's content.
#[derive(Debug, Default)]
pub(super) struct Seen {
    order: VecDeque<u64>,
    fingerprints: HashMap<u64, u64, BuildHasherDefault<Prehashed>>,
}

impl Seen {
    /// Records `id` and tells whether it is new, an update, or a duplicate (`None`).
    pub(super) fn record(&mut self, id: &Id, fingerprint: Option<u64>) -> Option<bool> {
        let id = hash_of(id);
        match self.fingerprints.get_mut(&id) {
            Some(known) => match fingerprint {
                Some(fingerprint) if *known == 0 => {
                    *known = fingerprint;
                    None
                }
                Some(fingerprint) if fingerprint != *known => {
                    *known = fingerprint;
                    Some(false)
                }
                _ => None,
            },
            None => {
                if self.order.len() == REMEMBERED_IDS
                    && let Some(oldest) = self.order.pop_front()
                {
                    self.fingerprints.remove(&oldest);
                }
                self.order.push_back(id);
                // An id seen only through our own acknowledgement has no content yet: the first
                // copy of it that arrives is a duplicate of what the app sent, not an update.
                self.fingerprints.insert(id, fingerprint.unwrap_or(0));
                Some(true)
            }
        }
    }
}

/// A hash of everything in a message, to tell a duplicate from an update: its fields, and
/// the JSON values of structured content and of `extra`, hashed as they are (writing the
/// values out as text first took 6 % of receiving on a backend whose messages carry extra
/// fields). Fx, not SipHash: this runs for every message received, and nothing here is
/// keyed by what a peer could choose to collide (a collision would make an edit of one
/// message look like its duplicate).
pub(super) fn fingerprint(message: &ChatMessage) -> u64 {
    let mut hasher = FxHasher::default();
    message.id.hash(&mut hasher);
    message.conversation_id.hash(&mut hasher);
    message.user_id.hash(&mut hasher);
    match &message.content {
        Content::Text(text) => text.hash(&mut hasher),
        Content::Structured(value) => value.hash(&mut hasher),
    }
    message.role.hash(&mut hasher);
    message
        .created_at
        .as_ref()
        .map(|at| at.as_str())
        .hash(&mut hasher);
    message.extra.hash(&mut hasher);
    // Zero means "content unknown" in `Seen`: keep real fingerprints off it.
    hasher.finish().max(1)
}

fn hash_of(id: &Id) -> u64 {
    let mut hasher = FxHasher::default();
    id.hash(&mut hasher);
    hasher.finish()
}

/// A hasher for keys that are hashes already.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(frame: serde_json::Value) -> ChatMessage {
        serde_json::from_value(frame).expect("a message")
    }

    #[test]
    fn fingerprints_follow_extra_fields_and_structured_content() {
        let base = json!({"id": "m1", "conversation_id": "c1", "content": "hi",
            "direction": "inbound", "meta": {"a": [1, 2.5, null, true]}});
        let same = fingerprint(&message(base.clone()));
        assert_eq!(fingerprint(&message(base.clone())), same);
        // The same fields in another order are the same message.
        let reordered = json!({"meta": {"a": [1, 2.5, null, true]}, "direction": "inbound",
            "content": "hi", "conversation_id": "c1", "id": "m1"});
        assert_eq!(fingerprint(&message(reordered)), same);
        // Any change inside an extra field, however deep, is an update.
        for changed in [
            json!({"direction": "outbound"}),
            json!({"meta": {"a": [1, 2.5, null, false]}}),
            json!({"meta": {"a": [1, 2, null, true]}}),
            json!({"meta": {"b": [1, 2.5, null, true]}}),
            json!({"status": "read"}),
        ] {
            let mut frame = base.clone();
            let object = frame.as_object_mut().expect("an object");
            for (name, value) in changed.as_object().expect("an object") {
                object.insert(name.clone(), value.clone());
            }
            assert_ne!(fingerprint(&message(frame)), same, "{changed}");
        }
        let structured = |content| {
            fingerprint(&message(
                json!({"id": "m1", "conversation_id": "c1", "content": content}),
            ))
        };
        assert_eq!(
            structured(json!({"text": "a"})),
            structured(json!({"text": "a"}))
        );
        assert_ne!(
            structured(json!({"text": "a"})),
            structured(json!({"text": "b"}))
        );
        assert_ne!(structured(json!({"text": "a"})), structured(json!("a")));
    }
}
