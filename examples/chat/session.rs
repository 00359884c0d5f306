//! The interactive chat: lines from the terminal in, events out, until `/quit`, the end of
//! input, or a terminal status (refused credentials, given up) that no typing can fix.

use std::time::Duration;

use niochat_client::dialect::CommandKind;
use niochat_client::{Client, Event, EventStream, PresenceStatus, Status};
use niochat_testkit::TestServer;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::describe;

/// Runs the chat and returns the process's exit code.
pub async fn chat(client: Client, conversation: String, server: Option<&TestServer>) -> i32 {
    let printer = tokio::spawn(print_events("", client.events()));
    let mut statuses = client.status_changes();
    client.connect();
    let caps = client.capabilities().clone();
    if caps.supports(CommandKind::Join) {
        match client.join(conversation.as_str()).await {
            Ok(()) if caps.history_sync => {
                // The earlier messages, on first join.
                let _ = client.sync(conversation.as_str(), None).await;
            }
            Ok(()) => {}
            Err(error) => println!("  ✗ could not join {conversation}: {error}"),
        }
    }
    if caps.supports(CommandKind::Presence) {
        let _ = client.set_presence(PresenceStatus::Online).await;
    }
    if !caps.supports(CommandKind::Message) {
        println!(
            "  ~ the {} backend takes messages through its REST API: this chat shows what arrives",
            client.backend()
        );
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let code = loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => {
                    if !command(&client, &conversation, line.trim(), server).await {
                        break 0;
                    }
                }
                _ => break 0,
            },
            Some(status) = statuses.next() => match status {
                Status::Unauthorized => break 3,
                Status::GaveUp { .. } => break 4,
                _ => {}
            },
        }
    };
    client.disconnect().await;
    drop(client);
    // Every line printed before exiting: the printer ends with the event stream.
    let _ = tokio::time::timeout(Duration::from_secs(2), printer).await;
    code
}

/// One line of input. False to leave.
async fn command(
    client: &Client,
    conversation: &str,
    line: &str,
    server: Option<&TestServer>,
) -> bool {
    let caps = client.capabilities();
    match (line, server) {
        ("", _) => {}
        ("/quit", _) => return false,
        ("/help", _) => println!(
            "/metrics, /reconnect, /quit; with the embedded server: /drop /freeze /thaw /restart"
        ),
        ("/metrics", _) => {
            if caps.supports(CommandKind::Ping) && client.status() == Status::Connected {
                let _ = client.ping().await;
            }
            match client.metrics().await {
                Ok(metrics) => println!("{}", describe::metrics(&metrics)),
                Err(error) => println!("  ✗ {error}"),
            }
        }
        ("/reconnect", _) => client.reconnect(),
        ("/drop", Some(server)) => server.drop_all_connections(),
        ("/freeze", Some(server)) => server.freeze(),
        ("/thaw", Some(server)) => server.thaw(),
        ("/restart", Some(server)) => server.restart().await,
        (text, _) if caps.supports(CommandKind::Message) => {
            let typing = caps.supports(CommandKind::Typing) && client.status() == Status::Connected;
            if typing {
                let _ = client.set_typing(conversation, true).await;
            }
            // Refusals are answered here; delivery outcomes arrive as events, once each.
            if let Err(error) = client.queue_message(conversation, text).await {
                println!("  ✗ not sent: {error}");
            }
            if typing {
                let _ = client.set_typing(conversation, false).await;
            }
        }
        (_, _) => println!(
            "  ✗ the {} backend cannot send messages from here",
            client.backend()
        ),
    }
    true
}

/// The embedded agent: shows typing, then answers every message.
pub async fn answer_as_agent(agent: Client, mut events: EventStream) {
    while let Some(event) = events.next().await {
        if let Event::Message { message, .. } = event {
            let text = message.content.text().unwrap_or_default().to_owned();
            let conversation = message.conversation_id.clone();
            let _ = agent.set_typing(conversation.clone(), true).await;
            tokio::time::sleep(Duration::from_millis(600)).await;
            let _ = agent.set_typing(conversation.clone(), false).await;
            let answer = format!("Thanks! I got \"{text}\" ({} chars).", text.chars().count());
            let _ = agent.queue_message(conversation, answer).await;
        }
    }
}

pub async fn print_events(who: &'static str, mut events: EventStream) {
    while let Some(event) = events.next().await {
        if let Some(line) = describe::describe(&event) {
            println!("{who}{line}");
        }
    }
}
