//! One line of terminal output per event, for people: no Rust formatting (`Some(..)`,
//! `Ok(..)`), totals next to counters, each outcome reported once.

use niochat_client::dialect::BackendEvent;
use niochat_client::{Event, MessageState, Metrics, Origin, Status};

/// The line for `event`, or `None` for events not worth a line.
pub fn describe(event: &Event) -> Option<String> {
    Some(match event {
        Event::Status(status) => status_line(status)?,
        Event::Session(session) => match &session.user_id {
            Some(user) => format!("  ~ signed in as {user}"),
            None => "  ~ signed in".to_owned(),
        },
        Event::Message { message, origin } => {
            let from = message
                .user_id
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| message.role.clone())
                .unwrap_or_else(|| "?".into());
            let text = message.content.text().unwrap_or("<structured message>");
            match origin {
                Origin::Sync => format!("{from}: {text} (recovered by sync)"),
                _ => format!("{from}: {text}"),
            }
        }
        Event::MessageUpdated(message) => format!(
            "  ~ message {} edited: {}",
            message.id,
            message.content.text().unwrap_or("<structured message>")
        ),
        Event::MessageDeleted(deletion) => format!("  ~ message {} deleted", deletion.message_id),
        Event::Outgoing { id, state, .. } => match state {
            MessageState::Queued => format!("  · {id} queued"),
            MessageState::Sent => format!("  · {id} sent"),
            MessageState::Acknowledged(ack) => format!("  ✓ {id} stored as {}", ack.message_id),
            MessageState::Failed(error) => format!("  ✗ {id} not delivered: {error}"),
            MessageState::Held(reason) => {
                format!("  · {id} kept for the next connection ({reason})")
            }
            _ => return None,
        },
        Event::OwnMessageCopy { id, message } => {
            format!(
                "  ! the server stored {id} twice (the copy is {})",
                message.id
            )
        }
        Event::HistoryGap {
            conversation_id, ..
        } => format!("  ! messages of {conversation_id} missed while away cannot be recovered"),
        Event::MessageStatus(status) => format!("  ✓ {} is {}", status.message_id, status.status),
        Event::Typing(typing) if typing.is_typing => format!("  … {} is typing", typing.user_id),
        Event::Presence(presence) => format!("  ~ {} is {}", presence.user_id, presence.status),
        Event::ServerNotice { message, .. } => format!("  ! the server says: {message}"),
        Event::Backend(event) => backend_line(event)?,
        Event::Malformed(error) => format!("  ! unreadable frame: {error}"),
        Event::Unknown(frame) => format!("  ? unknown frame: {}", frame.raw),
        _ => return None,
    })
}

fn status_line(status: &Status) -> Option<String> {
    Some(match status {
        Status::Reconnecting {
            attempt,
            max_attempts,
            delay,
        } => {
            let of = max_attempts
                .map(|max| format!(" of {max}"))
                .unwrap_or_default();
            format!(
                "  ~ reconnecting: attempt {attempt}{of} in {:.1} s",
                delay.as_secs_f64()
            )
        }
        Status::Error(error) => format!("  ~ {error}"),
        Status::GaveUp { attempts } => {
            format!("  ✗ gave up after {attempts} attempts (/reconnect to try again)")
        }
        Status::Unauthorized => {
            "  ✗ unauthorized: the token was refused again after a refresh; sign in again"
                .to_owned()
        }
        status => format!("  ~ {}", status.name()),
    })
}

fn backend_line(event: &BackendEvent) -> Option<String> {
    // Backend events are shown compactly; the typed values are in the SDK for apps.
    let text = format!("{event:?}");
    Some(format!(
        "  ~ {}",
        text.chars().take(160).collect::<String>()
    ))
}

/// The "connection details" panel.
pub fn metrics(metrics: &Metrics) -> String {
    let duration = |seconds: f64| format!("{seconds:.1} s");
    let mut lines = vec![
        format!(
            "  round trip       {}",
            metrics
                .rtt
                .map(|rtt| format!("{} ms", rtt.as_millis()))
                .unwrap_or_else(|| "not measured (this backend has no ping)".into())
        ),
        format!("  reconnects       {}", metrics.reconnects),
        format!("  queued messages  {}", metrics.queue_depth),
        format!("  awaiting answer  {}", metrics.in_flight),
        format!(
            "  time offline     {}",
            duration(metrics.time_reconnecting.as_secs_f64())
        ),
    ];
    if let Some(up) = metrics.connected_for {
        lines.push(format!("  connected for    {}", duration(up.as_secs_f64())));
    }
    if let Some(close) = &metrics.last_close {
        let code = close
            .code
            .map(|code| format!("code {code}"))
            .unwrap_or_else(|| "no close frame".into());
        lines.push(format!("  last close       {code} {}", close.reason));
    }
    if let Some(error) = &metrics.last_error {
        lines.push(format!("  last error       {error}"));
    }
    lines.join("\n")
}
