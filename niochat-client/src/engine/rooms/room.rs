//! One conversation's state: whether it is joined, the ids it has seen, the live messages
//! held back while its sync is under way, and our resent messages. The rooms in the parent
//! module keep one per conversation and decide when each step happens.

use std::collections::VecDeque;

use web_time::Instant;

use super::seen::{Seen, fingerprint};
use super::{Delivery, RejoinStep};
use crate::dialect::RequestId;
use crate::engine::events::{ClientMessageId, GapReason, Origin};
use crate::model::{ChatMessage, Id};

#[derive(Debug)]
pub(super) enum SyncState {
    Live,
    Syncing {
        since: Instant,
        held: Vec<ChatMessage>,
    },
}

/// One conversation, as the rooms keep it.
#[derive(Debug)]
pub(super) struct Room {
    pub(super) id: Id,
    pub(super) joined: bool,
    /// Joined on some connection already: a later connection may have missed messages.
    pub(super) joined_before: bool,
    pub(super) last_seen: Option<Id>,
    pub(super) seen: Seen,
    pub(super) sync: SyncState,
    /// The application's join requests waiting for a connection.
    pub(super) waiters: Vec<RequestId>,
    /// History past `last_seen` could not be recovered; no sync until a live message arrives.
    pub(super) gap: Option<GapReason>,
    /// How many times in a row this conversation's sync went unanswered.
    pub(super) sync_timeouts: u32,
    /// Our messages sent again after a lost acknowledgement: (content, id).
    pub(super) resent: VecDeque<(String, ClientMessageId)>,
    /// A sync was asked for and has not been answered. Live messages are still delivered
    /// (held back during the sync, released when it is given up), but they move neither
    /// `last_seen` nor `gap`: the next sync must start where this one did, or what it would
    /// have brought (everything between `last_seen` and the first live message) is never
    /// asked for again, and a gap decided meanwhile must still be reported.
    pub(super) awaiting_sync: bool,
}

impl Room {
    pub(super) fn new(id: Id) -> Self {
        Self {
            id,
            joined: false,
            joined_before: false,
            last_seen: None,
            seen: Seen::default(),
            sync: SyncState::Live,
            waiters: Vec::new(),
            gap: None,
            sync_timeouts: 0,
            resent: VecDeque::new(),
            awaiting_sync: false,
        }
    }

    pub(super) fn deliver(
        &mut self,
        message: ChatMessage,
        origin: Origin,
        own_user: Option<&Id>,
    ) -> Option<Delivery> {
        let is_new = self.seen.record(&message.id, Some(fingerprint(&message)))?;
        if !self.awaiting_sync {
            self.last_seen = Some(message.id.clone());
            if origin == Origin::Live {
                self.gap = None;
            }
        }
        if !is_new {
            return Some(Delivery::Updated(message));
        }
        let own = own_user.is_some() && message.user_id.as_ref() == own_user;
        let copy_of = own
            .then(|| message.content.text())
            .flatten()
            .and_then(|text| self.resent.iter().position(|(content, _)| content == text));
        Some(match copy_of.and_then(|at| self.resent.remove(at)) {
            Some((_, id)) => Delivery::OwnCopy(message, id),
            None => Delivery::New(message, origin),
        })
    }

    /// Joins again, answering the application's join requests that waited for it.
    pub(super) fn join_step(&mut self) -> RejoinStep {
        RejoinStep::Join {
            conversation: self.id.clone(),
            waiters: std::mem::take(&mut self.waiters),
        }
    }

    /// Holds live messages back until the sync this asks for answers.
    pub(super) fn start_sync(&mut self, now: Instant) -> RejoinStep {
        self.awaiting_sync = true;
        self.sync = SyncState::Syncing {
            since: now,
            held: Vec::new(),
        };
        RejoinStep::Sync {
            conversation: self.id.clone(),
            after: self.last_seen.clone(),
        }
    }

    /// Ends a sync: with its answer (`Some`), or abandoned (`None`).
    pub(super) fn end_sync(
        &mut self,
        synced: Option<Vec<ChatMessage>>,
        own_user: Option<&Id>,
    ) -> Vec<Delivery> {
        let held = match std::mem::replace(&mut self.sync, SyncState::Live) {
            SyncState::Syncing { held, .. } => held,
            SyncState::Live => Vec::new(),
        };
        let answered = synced.is_some();
        if answered {
            self.sync_timeouts = 0;
            self.awaiting_sync = false;
        }
        let mut deliveries: Vec<Delivery> = sorted_by_creation(synced.unwrap_or_default())
            .into_iter()
            .filter_map(|message| self.deliver(message, Origin::Sync, own_user))
            .collect();
        if answered {
            // The sync covered everything since the last message seen: any first copy of a
            // resent message would have been in it.
            self.resent.clear();
        }
        deliveries.extend(
            held.into_iter()
                .filter_map(|message| self.deliver(message, Origin::Live, own_user)),
        );
        deliveries
    }
}

/// Oldest first, by `created_at`, keeping the server's order among equal or unreadable times.
fn sorted_by_creation(mut messages: Vec<ChatMessage>) -> Vec<ChatMessage> {
    let readable = messages.iter().all(|message| {
        message
            .created_at
            .as_ref()
            .and_then(|at| at.to_utc())
            .is_some()
    });
    if readable {
        messages.sort_by_key(|message| message.created_at.as_ref().and_then(|at| at.to_utc()));
    }
    messages
}
