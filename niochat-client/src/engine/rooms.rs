//! Conversations: which ones to (re-)join, the last message seen in each, and delivering every
//! message exactly once and in order.
//!
//! The real server forgets room membership when a connection drops, so after every reconnect
//! each joined conversation is joined again and synced from the last message seen. Until its
//! `sync_data` arrives, live messages of that conversation are held back, so that the missed
//! ones come first. A message id already delivered with the same content is dropped (syncs
//! overlap live traffic and resends); the same id with other content is an update (NioChat
//! re-sends deleted messages that way), never swallowed.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use web_time::{Duration, Instant};

use super::events::Origin;
use crate::protocol::{ChatMessage, ClientFrame, Id, Join, SyncRequest};

/// How many message ids per conversation are remembered for de-duplication.
const REMEMBERED_IDS: usize = 2048;

/// What to tell the application about one incoming message.
#[derive(Debug, PartialEq)]
pub(crate) enum Delivery {
    New(ChatMessage, Origin),
    Updated(ChatMessage),
}

#[derive(Debug, Default)]
struct Seen {
    order: VecDeque<Id>,
    fingerprints: HashMap<Id, u64>,
}

impl Seen {
    /// Records `id` and tells whether it is new, an update, or a duplicate (`None`).
    fn record(&mut self, id: &Id, fingerprint: Option<u64>) -> Option<bool> {
        match self.fingerprints.get_mut(id) {
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
                if self.order.len() == REMEMBERED_IDS {
                    if let Some(oldest) = self.order.pop_front() {
                        self.fingerprints.remove(&oldest);
                    }
                }
                self.order.push_back(id.clone());
                // An id seen only through our own acknowledgement has no content yet: the first
                // copy of it that arrives is a duplicate of what the app sent, not an update.
                self.fingerprints
                    .insert(id.clone(), fingerprint.unwrap_or(0));
                Some(true)
            }
        }
    }
}

#[derive(Debug)]
enum SyncState {
    Live,
    Syncing {
        since: Instant,
        held: Vec<ChatMessage>,
    },
}

#[derive(Debug)]
struct Room {
    id: Id,
    joined: bool,
    /// Joined on some connection already: a later connection may have missed messages.
    joined_before: bool,
    last_seen: Option<Id>,
    seen: Seen,
    sync: SyncState,
}

impl Room {
    fn new(id: Id) -> Self {
        Self {
            id,
            joined: false,
            joined_before: false,
            last_seen: None,
            seen: Seen::default(),
            sync: SyncState::Live,
        }
    }

    fn deliver(&mut self, message: ChatMessage, origin: Origin) -> Option<Delivery> {
        let is_new = self.seen.record(&message.id, Some(fingerprint(&message)))?;
        self.last_seen = Some(message.id.clone());
        Some(if is_new {
            Delivery::New(message, origin)
        } else {
            Delivery::Updated(message)
        })
    }

    fn finish_sync(&mut self, mut synced: Vec<ChatMessage>) -> Vec<Delivery> {
        let held = match std::mem::replace(&mut self.sync, SyncState::Live) {
            SyncState::Syncing { held, .. } => held,
            SyncState::Live => Vec::new(),
        };
        sort_by_creation(&mut synced);
        let mut deliveries: Vec<Delivery> = synced
            .into_iter()
            .filter_map(|message| self.deliver(message, Origin::Sync))
            .collect();
        deliveries.extend(
            held.into_iter()
                .filter_map(|message| self.deliver(message, Origin::Live)),
        );
        deliveries
    }
}

#[derive(Debug, Default)]
pub(crate) struct Rooms {
    rooms: Vec<Room>,
}

impl Rooms {
    /// Remembers `conversation` as joined. True when it was not already.
    pub(crate) fn join(&mut self, conversation: &Id) -> bool {
        let room = self.room_mut(conversation);
        !std::mem::replace(&mut room.joined, true)
    }

    /// Forgets `conversation`'s membership (its seen ids stay, for de-duplication), and
    /// releases what a pending sync held back: leaving loses nothing already received.
    pub(crate) fn leave(&mut self, conversation: &Id) -> Vec<Delivery> {
        let room = self.room_mut(conversation);
        room.joined = false;
        room.finish_sync(Vec::new())
    }

    /// The frames for a new connection: `join` for every joined conversation, then `sync` from
    /// the last message seen for those joined on an earlier connection.
    pub(crate) fn rejoin(&mut self, now: Instant) -> Vec<ClientFrame> {
        let mut frames = Vec::new();
        for room in self.rooms.iter_mut().filter(|room| room.joined) {
            frames.push(ClientFrame::Join(Join {
                conversation_id: room.id.clone(),
            }));
            if room.joined_before {
                frames.push(ClientFrame::Sync(SyncRequest {
                    conversation_id: room.id.clone(),
                    last_message_id: room.last_seen.clone(),
                }));
                room.sync = SyncState::Syncing {
                    since: now,
                    held: Vec::new(),
                };
            }
            room.joined_before = true;
        }
        frames
    }

    /// Marks a conversation joined on the current connection (a live `join`).
    pub(crate) fn joined_now(&mut self, conversation: &Id) {
        self.room_mut(conversation).joined_before = true;
    }

    /// A live message: delivered, held back during a sync, or dropped as a duplicate.
    pub(crate) fn message(&mut self, message: ChatMessage) -> Option<Delivery> {
        let room = self.room_mut(&message.conversation_id);
        if let SyncState::Syncing { held, .. } = &mut room.sync {
            held.push(message);
            return None;
        }
        room.deliver(message, Origin::Live)
    }

    /// `sync_data`: the missed messages in order, then those held back, without duplicates.
    pub(crate) fn synced(
        &mut self,
        conversation: &Id,
        messages: Vec<ChatMessage>,
    ) -> Vec<Delivery> {
        self.room_mut(conversation).finish_sync(messages)
    }

    /// A `SYNC_ERROR`: the oldest pending sync failed; release what it held back.
    pub(crate) fn sync_failed(&mut self) -> Vec<Delivery> {
        let oldest = self
            .rooms
            .iter_mut()
            .filter_map(|room| match room.sync {
                SyncState::Syncing { since, .. } => Some((since, room)),
                SyncState::Live => None,
            })
            .min_by_key(|(since, _)| *since);
        oldest
            .map(|(_, room)| room.finish_sync(Vec::new()))
            .unwrap_or_default()
    }

    /// Releases the messages of syncs older than `timeout`, or of every sync when the
    /// connection is gone (`timeout` zero).
    pub(crate) fn expire_syncs(&mut self, now: Instant, timeout: Duration) -> Vec<Delivery> {
        let mut deliveries = Vec::new();
        for room in &mut self.rooms {
            if matches!(room.sync, SyncState::Syncing { since, .. } if now >= since + timeout) {
                deliveries.extend(room.finish_sync(Vec::new()));
            }
        }
        deliveries
    }

    /// When the oldest pending sync times out.
    pub(crate) fn next_deadline(&self, timeout: Duration) -> Option<Instant> {
        self.rooms
            .iter()
            .filter_map(|room| match room.sync {
                SyncState::Syncing { since, .. } => Some(since + timeout),
                SyncState::Live => None,
            })
            .min()
    }

    /// Our own message, acknowledged: a sync must not deliver it back to us.
    pub(crate) fn own_message(&mut self, conversation: &Id, message_id: &Id) {
        let room = self.room_mut(conversation);
        if room.seen.record(message_id, None).is_some() {
            room.last_seen = Some(message_id.clone());
        }
    }

    /// The last message seen in `conversation`.
    pub(crate) fn last_seen(&self, conversation: &Id) -> Option<&Id> {
        self.rooms
            .iter()
            .find(|room| room.id == *conversation)?
            .last_seen
            .as_ref()
    }

    /// The joined conversations, in the order they were joined.
    pub(crate) fn joined(&self) -> impl Iterator<Item = &Id> {
        self.rooms
            .iter()
            .filter(|room| room.joined)
            .map(|room| &room.id)
    }

    fn room_mut(&mut self, conversation: &Id) -> &mut Room {
        let index = match self.rooms.iter().position(|room| room.id == *conversation) {
            Some(index) => index,
            None => {
                self.rooms.push(Room::new(conversation.clone()));
                self.rooms.len() - 1
            }
        };
        &mut self.rooms[index]
    }
}

/// A hash of everything in a message, to tell a duplicate from an update.
fn fingerprint(message: &ChatMessage) -> u64 {
    let mut hasher = DefaultHasher::new();
    serde_json::to_string(message)
        .unwrap_or_default()
        .hash(&mut hasher);
    // Zero means "content unknown" in `Seen`: keep real fingerprints off it.
    hasher.finish().max(1)
}

/// Oldest first, by `created_at`, keeping the server's order among equal or unreadable times.
fn sort_by_creation(messages: &mut [ChatMessage]) {
    if messages.iter().all(|message| {
        message
            .created_at
            .as_ref()
            .and_then(|at| at.to_utc())
            .is_some()
    }) {
        messages.sort_by_key(|message| message.created_at.as_ref().and_then(|at| at.to_utc()));
    }
}
