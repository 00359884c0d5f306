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

/// A hash of everything in a message, to tell a duplicate from an update: its fields hashed
/// as they are, with only the rare extra fields written out as text. Fx, not SipHash: this
/// runs for every message received, and nothing here is keyed by what a peer could choose
/// to collide (a collision would make an edit of one message look like its duplicate).
pub(super) fn fingerprint(message: &ChatMessage) -> u64 {
    let mut hasher = FxHasher::default();
    message.id.hash(&mut hasher);
    message.conversation_id.hash(&mut hasher);
    message.user_id.hash(&mut hasher);
    match &message.content {
        Content::Text(text) => text.hash(&mut hasher),
        Content::Structured(value) => value.to_string().hash(&mut hasher),
    }
    message.role.hash(&mut hasher);
    message
        .created_at
        .as_ref()
        .map(|at| at.as_str())
        .hash(&mut hasher);
    for (name, value) in &message.extra {
        name.hash(&mut hasher);
        value.to_string().hash(&mut hasher);
    }
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
