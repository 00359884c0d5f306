//! Conversations: which ones to (re-)join, the last message seen in each, and delivering every
//! message exactly once and in order.
//!
//! Servers forget room membership when a connection drops, so after every reconnect each
//! joined conversation is joined again and, where the backend can, synced from the last
//! message seen. Until the sync's answer arrives, live messages of that conversation are held
//! back, so that the missed ones come first. A message id already delivered with the same
//! content is dropped (syncs overlap live traffic and resends); the same id with other content
//! is an update (NioChat re-sends deleted messages that way), never swallowed.
//!
//! Two things a sync can bring back that are not new mail: our own acknowledged messages
//! (dropped), and a second stored copy of a message of ours that was sent again after its
//! acknowledgement was lost in a cut (reported as an own copy). When a sync answer is too large
//! to receive, the conversation has a history gap: it is reported, and the engine continues
//! live rather than asking for the same answer forever.

mod room;
mod seen;

use rustc_hash::FxHashMap;

use web_time::{Duration, Instant};

use super::events::{ClientMessageId, GapReason, Origin};
use crate::dialect::RequestId;
use crate::model::{ChatMessage, Id, MessageDeletion};
use room::{Room, SyncState};
use seen::fingerprint;

/// How many resent messages per conversation are remembered as possibly stored twice.
const REMEMBERED_RESENDS: usize = 256;

/// What to tell the application about one incoming message.
#[derive(Debug, PartialEq)]
pub(crate) enum Delivery {
    New(ChatMessage, Origin),
    Updated(ChatMessage),
    OwnCopy(ChatMessage, ClientMessageId),
}

/// What a new connection does for one conversation.
#[derive(Debug, PartialEq)]
pub(crate) enum RejoinStep {
    Join {
        conversation: Id,
        waiters: Vec<RequestId>,
    },
    Sync {
        conversation: Id,
        after: Option<Id>,
    },
    Gap {
        conversation: Id,
        after: Option<Id>,
        reason: GapReason,
    },
}

#[derive(Debug, Default)]
pub(crate) struct Rooms {
    rooms: Vec<Room>,
    /// Looked up for every message sent and received: Fx rather than SipHash, as for the
    /// seen ids (the keys are the server's conversation ids).
    index: FxHashMap<Id, usize>,
    /// The room looked up last (rooms are never removed, so an index stays good).
    /// Messages come in runs of one conversation, and the app sends with clones of one
    /// `Id`: checking this first skips hashing the id (about 100 instructions a message).
    last: Option<usize>,
}

impl Rooms {
    /// Remembers `conversation` as joined. True when it was not already.
    pub(crate) fn join(&mut self, conversation: &Id) -> bool {
        !std::mem::replace(&mut self.room_mut(conversation).joined, true)
    }

    /// A join request waits for the next connection.
    pub(crate) fn wait_for_join(&mut self, conversation: &Id, request: RequestId) {
        self.room_mut(conversation).waiters.push(request);
    }

    /// Forgets `conversation`'s membership (its seen ids stay, for de-duplication) and releases
    /// what a pending sync held back. Returns those messages and the join requests still
    /// waiting for a connection.
    pub(crate) fn leave(
        &mut self,
        conversation: &Id,
        own_user: Option<&Id>,
    ) -> (Vec<Delivery>, Vec<RequestId>) {
        let room = self.room_mut(conversation);
        room.joined = false;
        let waiters = std::mem::take(&mut room.waiters);
        (room.end_sync(None, own_user), waiters)
    }

    /// What a new connection does: join every joined conversation, then — where the backend
    /// syncs — fetch what those joined on an earlier connection missed, or report a gap.
    pub(crate) fn rejoin(&mut self, now: Instant, sync: bool) -> Vec<RejoinStep> {
        let mut steps = Vec::new();
        for room in self.rooms.iter_mut().filter(|room| room.joined) {
            steps.push(room.join_step());
            if sync && room.joined_before {
                match &room.gap {
                    Some(reason) => {
                        steps.push(RejoinStep::Gap {
                            conversation: room.id.clone(),
                            after: room.last_seen.clone(),
                            reason: reason.clone(),
                        });
                        // Reported: live messages are the history from here on.
                        room.awaiting_sync = false;
                    }
                    None => steps.push(room.start_sync(now)),
                }
            }
            room.joined_before = true;
        }
        steps
    }

    /// What keeps membership on a server that may drop it silently, on the open connection:
    /// join every joined conversation again and, where the backend syncs, fetch what came
    /// after the last message seen. A conversation already syncing, or behind a history gap
    /// (already reported), is only joined.
    pub(crate) fn refresh(&mut self, now: Instant, sync: bool) -> Vec<RejoinStep> {
        let mut steps = Vec::new();
        for room in self.rooms.iter_mut().filter(|room| room.joined) {
            steps.push(room.join_step());
            let live = matches!(room.sync, SyncState::Live) && room.gap.is_none();
            if sync && live && room.joined_before {
                steps.push(room.start_sync(now));
            }
        }
        steps
    }

    /// Marks a conversation joined on the current connection (a live `join`).
    pub(crate) fn joined_now(&mut self, conversation: &Id) {
        self.room_mut(conversation).joined_before = true;
    }

    /// A live message: delivered, held back during a sync, or dropped as a duplicate.
    pub(crate) fn message(
        &mut self,
        message: ChatMessage,
        own_user: Option<&Id>,
    ) -> Option<Delivery> {
        let room = self.room_mut(&message.conversation_id);
        if let SyncState::Syncing { held, .. } = &mut room.sync {
            held.push(message);
            return None;
        }
        room.deliver(message, Origin::Live, own_user)
    }

    /// A sync's answer: the missed messages in order, then those held back, without duplicates.
    pub(crate) fn synced(
        &mut self,
        conversation: &Id,
        messages: Vec<ChatMessage>,
        own_user: Option<&Id>,
    ) -> Vec<Delivery> {
        self.room_mut(conversation)
            .end_sync(Some(messages), own_user)
    }

    /// A sync failed or was abandoned: release what it held back.
    pub(crate) fn sync_failed(
        &mut self,
        conversation: &Id,
        own_user: Option<&Id>,
    ) -> Vec<Delivery> {
        self.room_mut(conversation).end_sync(None, own_user)
    }

    /// Releases the messages of syncs older than `timeout`, or of every sync when the
    /// connection is gone (`timeout` zero).
    pub(crate) fn expire_syncs(
        &mut self,
        now: Instant,
        timeout: Duration,
        own_user: Option<&Id>,
    ) -> Vec<Delivery> {
        let mut deliveries = Vec::new();
        for room in &mut self.rooms {
            if matches!(room.sync, SyncState::Syncing { since, .. } if now >= since + timeout) {
                deliveries.extend(room.end_sync(None, own_user));
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

    /// An update of a message (its whole new version): recorded so that the same version is
    /// not reported twice. False for such a repeat.
    pub(crate) fn updated(&mut self, message: &ChatMessage) -> bool {
        let room = self.room_mut(&message.conversation_id);
        room.seen
            .record(&message.id, Some(fingerprint(message)))
            .is_some()
    }

    /// A deletion: recorded so that the same deletion arriving again (a sync, a re-send) is not
    /// reported twice. False for such a repeat.
    pub(crate) fn deleted(&mut self, deletion: &MessageDeletion) -> bool {
        let (Some(conversation), Some(message)) = (&deletion.conversation_id, &deletion.message)
        else {
            return true;
        };
        let room = self.room_mut(conversation);
        room.seen
            .record(&message.id, Some(fingerprint(message)))
            .is_some()
    }

    /// Our own message, acknowledged: a sync must not deliver it back to us.
    pub(crate) fn own_message(&mut self, conversation: &Id, message_id: &Id) {
        let room = self.room_mut(conversation);
        // While a sync is unanswered, where the next one starts stays put (see `Room`).
        if room.seen.record(message_id, None).is_some() && !room.awaiting_sync {
            room.last_seen = Some(message_id.clone());
        }
    }

    /// A message of ours goes out again after its acknowledgement was lost: the server may
    /// hold a first copy of it, which a sync would bring back.
    pub(crate) fn resent(&mut self, conversation: &Id, content: &str, id: ClientMessageId) {
        let room = self.room_mut(conversation);
        if room.resent.iter().any(|(_, known)| *known == id) {
            return;
        }
        if room.resent.len() == REMEMBERED_RESENDS {
            room.resent.pop_front();
        }
        room.resent.push_back((content.to_owned(), id));
    }

    /// The conversation's sync went unanswered for `timeout`; after `limit` times in a row its
    /// history is given up as a gap.
    pub(crate) fn sync_timed_out(&mut self, conversation: &Id, limit: u32, timeout: Duration) {
        let room = self.room_mut(conversation);
        room.sync_timeouts += 1;
        if room.sync_timeouts >= limit {
            room.sync_timeouts = 0;
            room.gap = Some(GapReason::SyncTimedOut { timeout });
        }
    }

    /// The server refused to let us in: the conversation is no longer joined.
    pub(crate) fn join_refused(&mut self, conversation: &Id) {
        self.room_mut(conversation).joined = false;
    }

    /// The conversation's sync answer could not be received.
    pub(crate) fn history_gap(&mut self, conversation: &Id, reason: GapReason) {
        self.room_mut(conversation).gap = Some(reason);
    }

    /// The last message seen in `conversation`.
    pub(crate) fn last_seen(&self, conversation: &Id) -> Option<&Id> {
        let index = self.index.get(conversation)?;
        self.rooms[*index].last_seen.as_ref()
    }

    /// The joined conversations, in the order they were first joined.
    pub(crate) fn joined(&self) -> impl Iterator<Item = &Id> {
        self.rooms
            .iter()
            .filter(|room| room.joined)
            .map(|room| &room.id)
    }

    /// Every join request still waiting for a connection, taken.
    pub(crate) fn take_all_waiters(&mut self) -> Vec<RequestId> {
        self.rooms
            .iter_mut()
            .flat_map(|room| std::mem::take(&mut room.waiters))
            .collect()
    }

    fn room_mut(&mut self, conversation: &Id) -> &mut Room {
        let last = self
            .last
            .filter(|&last| same_form_and_text(&self.rooms[last].id, conversation));
        let index = match last.or_else(|| self.index.get(conversation).copied()) {
            Some(index) => index,
            None => {
                self.rooms.push(Room::new(conversation.clone()));
                self.index
                    .insert(conversation.clone(), self.rooms.len() - 1);
                self.rooms.len() - 1
            }
        };
        self.last = Some(index);
        &mut self.rooms[index]
    }
}

/// Equal ids of the same form, compared without formatting: a shared text id is the same
/// pointer. `7` and `"7"` are the same conversation too, but that is the map's to say.
fn same_form_and_text(known: &Id, wanted: &Id) -> bool {
    match (known, wanted) {
        (Id::Text(known), Id::Text(wanted)) => known == wanted,
        (Id::Number(known), Id::Number(wanted)) => known == wanted,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_room_shortcut_finds_the_same_rooms_as_the_map() {
        let mut rooms = Rooms::default();
        let (first, second) = (Id::from("c1"), Id::from("c2"));
        assert!(rooms.join(&first));
        assert!(rooms.join(&second));
        // Back and forth, through fresh copies of the ids and through shared ones.
        assert!(!rooms.join(&Id::from("c1")));
        assert!(!rooms.join(&second.clone()));
        assert!(!rooms.join(&first));
        // A numeric id and its text are one conversation, whichever comes last.
        assert!(rooms.join(&Id::Number(7)));
        assert!(!rooms.join(&Id::from("7")));
        assert!(!rooms.join(&Id::Number(7)));
        rooms.own_message(&Id::from("7"), &Id::from("m1"));
        assert_eq!(rooms.last_seen(&Id::Number(7)), Some(&Id::from("m1")));
        // And the other way round: a text room looked up last, then by its number.
        assert!(rooms.join(&Id::from("8")));
        assert!(!rooms.join(&Id::Number(8)));
        assert_eq!(rooms.rooms.len(), 4);
    }
}
