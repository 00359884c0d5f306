//! Bad input loses nothing and breaks nothing: thousands of mutated server frames (truncated,
//! re-typed, missing or extra fields, wrong JSON types, deep nesting) go through a connected
//! engine. It must never panic, never drop the connection, and account for every frame as an
//! event or a consumed reply.

mod support;

use niochat_client::{Event, Status};
use serde_json::{Value, json};
use support::{Harness, SECOND, ack, chat, config, message};

fn seeds() -> Vec<Value> {
    vec![
        json!({"type": "connected", "user_id": "u1", "timestamp": "2025-12-07T10:00:00.123456"}),
        message("m1", "c1", "hello", "2025-12-07T10:00:01"),
        ack("s1"),
        json!({"type": "typing", "user_id": "u2", "conversation_id": "c1", "is_typing": true}),
        json!({"type": "read", "user_id": "u2", "conversation_id": "c1", "message_id": "m1", "read_at": "2025-12-07T10:00:00Z"}),
        json!({"type": "presence", "user_id": "u2", "status": "online", "timestamp": "2025-12-07T10:00:00-03:00"}),
        json!({"type": "sync_data", "conversation_id": "c1", "count": 1, "messages": [chat("m2", "c1", "x", "2025-12-07T10:00:02")]}),
        json!({"type": "pong", "timestamp": "2025-12-07T10:00:00"}),
        json!({"type": "error", "error": "nope", "code": "MESSAGE_ERROR"}),
        json!({"type": "joined", "conversation_id": "c1", "success": true}),
    ]
}

fn random_value(rng: &mut fastrand::Rng, depth: u32) -> Value {
    match rng.u8(0..10) {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => json!(rng.i64(..)),
        3 => json!(rng.f64() * 1e300),
        4 => json!("2025-12-07T..."),
        5 => json!(""),
        6 if depth < 4 => Value::Array(
            (0..rng.usize(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        7 if depth < 4 => {
            json!({"type": "message", "id": random_value(rng, depth + 1), "content": random_value(rng, depth + 1)})
        }
        8 => json!("\u{0}\u{feff}💥"),
        _ => json!(rng.u32(..).to_string()),
    }
}

/// Replaces, removes or adds one field somewhere in the frame.
fn mutate_value(rng: &mut fastrand::Rng, value: &mut Value) {
    let Value::Object(object) = value else {
        *value = random_value(rng, 0);
        return;
    };
    let keys: Vec<String> = object.keys().cloned().collect();
    match (rng.u8(0..4), keys.is_empty()) {
        (0, false) => {
            object.remove(&keys[rng.usize(..keys.len())]);
        }
        (1, false) => {
            let key = keys[rng.usize(..keys.len())].clone();
            if rng.bool() {
                mutate_value(rng, object.get_mut(&key).expect("a key of the object"));
            } else {
                object.insert(key, random_value(rng, 0));
            }
        }
        _ => {
            object.insert(
                ["type", "extra", "messages", "message"][rng.usize(..4)].to_owned(),
                random_value(rng, 0),
            );
        }
    }
}

/// Damages the text itself: truncation, deletion, insertion.
fn mutate_text(rng: &mut fastrand::Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    match rng.u8(0..3) {
        0 => chars.truncate(rng.usize(..=chars.len())),
        1 if !chars.is_empty() => {
            chars.remove(rng.usize(..chars.len()));
        }
        _ => {
            let noise = ['{', '}', '[', ']', '"', ',', ':', '0', '\\', ' ', 'é'];
            chars.insert(rng.usize(..=chars.len()), noise[rng.usize(..noise.len())]);
        }
    }
    chars.into_iter().collect()
}

#[test]
fn twenty_thousand_mutated_frames_never_panic_or_disconnect() {
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    // Protocol 001 answers in order: a stray answer while a request is open would (rightly)
    // put the connection out of step. This fuzzes what arrives while nothing is asked, so the
    // client's own requests are answered at once and its pings are off.
    let mut config = config();
    config.ping_interval = 3600 * SECOND;
    let mut harness = Harness::connected(config);
    harness.join("c1");
    let seeds = seeds();
    let frames = 20_000;
    for round in 0..frames {
        let mut frame = seeds[rng.usize(..seeds.len())].clone();
        for _ in 0..rng.usize(1..4) {
            mutate_value(&mut rng, &mut frame);
        }
        let text = match rng.u8(0..4) {
            0 => mutate_text(&mut rng, &frame.to_string()),
            _ => frame.to_string(),
        };
        let before = harness.events.len();
        harness.receive_text(text);
        let emitted = harness.events.len() - before;
        // Every frame is an event, except what the engine consumes by design: pongs, syncs or
        // messages it holds back or de-duplicates, and acknowledgements it has nothing to match.
        assert!(
            emitted <= 64,
            "round {round}: {emitted} events from one frame"
        );
        if round % 500 == 0 {
            harness.send("c1", "still working");
            harness.receive(ack(&format!("fresh-{round}")));
            harness.advance(SECOND);
        }
        assert_eq!(harness.engine.status(), &Status::Connected, "round {round}");
    }
    assert!(harness.closes.is_empty());
    let malformed = harness
        .events
        .iter()
        .filter(|event| matches!(event, Event::Malformed(_)))
        .count();
    let unknown = harness
        .events
        .iter()
        .filter(|event| matches!(event, Event::Unknown(_)))
        .count();
    assert!(
        malformed > frames / 10 && unknown > frames / 100,
        "{malformed} malformed, {unknown} unknown"
    );
}
