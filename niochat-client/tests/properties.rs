//! Properties of every decoder and of the engine, checked on generated input (proptest): what
//! `cargo xtask fuzz` explores for longer. Every dialect reads any text and any JSON without
//! panicking, and keeps what it cannot read; the engine fed any sequence of frames, binary
//! frames and timer ticks never panics, never takes a text frame for a dead connection, and
//! keeps every accepted message until it is acknowledged or failed.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use niochat_client::dialect::niochat::{Endpoint, NioChat};
use niochat_client::dialect::pytake_go::PyTakeGo;
use niochat_client::dialect::{Backend, Inbound};
use niochat_client::engine::TransportEvent;
use niochat_client::{Event, MessageState, Status};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::{Harness, config};

fn backends() -> Vec<Backend> {
    vec![
        Backend::Renum,
        Backend::PyTake,
        Backend::PyTakeGo(PyTakeGo::default()),
        Backend::ConectCrm,
        Backend::NioChat(NioChat::new(Endpoint::Conversation("1".into()))),
    ]
}

/// JSON of any shape, with the keys and values real frames use most.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_:]{0,12}".prop_map(Value::from),
        Just(json!("2025-12-07T10:00:00")),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("event".to_owned()),
                    Just("data".to_owned()),
                    Just("message".to_owned()),
                    Just("id".to_owned()),
                    Just("conversation_id".to_owned()),
                    Just("content".to_owned()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Text as servers send it: JSON, Socket.IO packets (`42[...]`, `43<id>[...]`), or junk.
fn frame_text() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|value| value.to_string()),
        (
            prop_oneof![
                Just("0"),
                Just("2"),
                Just("3"),
                Just("40"),
                Just("41"),
                Just("42"),
                Just("43"),
                Just("44"),
                Just("42/atendimento,")
            ],
            json_value()
        )
            .prop_map(|(prefix, value)| format!("{prefix}{value}")),
        (0u32..1000, json_value()).prop_map(|(id, value)| format!("43{id}{value}")),
        ".{0,64}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_dialect_reads_any_text_without_panicking(text in frame_text()) {
        for backend in backends() {
            let mut dialect = backend.protocol().dialect(Some("t".into()));
            let mut inbound = Vec::new();
            dialect.on_open(&mut inbound);
            inbound.clear();
            dialect.on_text(&text, &mut inbound);
            // What a dialect cannot read it keeps: a frame never vanishes without a trace
            // unless the dialect consumed it as protocol (pings, acks, readiness).
            for item in &inbound {
                if let Inbound::Malformed(error) = item {
                    prop_assert!(!error.raw().is_empty() || text.is_empty());
                }
            }
            dialect.on_binary(text.as_bytes(), &mut inbound);
        }
    }

    #[test]
    fn the_engine_survives_any_frames_and_keeps_every_accepted_message(
        frames in prop::collection::vec((frame_text(), 0u64..3_000, any::<bool>()), 1..40),
    ) {
        let mut harness = Harness::connected(config());
        let id = harness.send("c1", "kept until settled");
        for (text, wait_ms, binary) in frames {
            if harness.live.is_none() {
                // Dropped by a frame that closes or replaces the connection: come back.
                if harness.opening.is_none() {
                    harness.advance(Duration::from_secs(40));
                }
                if harness.opening.is_some() {
                    harness.accept();
                }
            }
            if let Some(connection) = harness.live {
                if binary {
                    harness.transport(connection, TransportEvent::Binary(text.into_bytes()));
                } else {
                    harness.receive_text(text);
                }
            }
            harness.advance(Duration::from_millis(wait_ms));
        }
        let states = harness.states_of(id);
        let settled = states.iter().any(|state| {
            matches!(state, MessageState::Acknowledged(_) | MessageState::Failed(_))
        });
        let queued = harness.engine.metrics(harness.now).queue_depth;
        prop_assert!(settled || queued == 1, "the message vanished: {states:?}, queue {queued}");
        let connected_without_session = harness.events.iter().any(|event| {
            matches!(event, Event::Status(Status::Connected)) && harness.engine.session().is_none()
                && harness.engine.status() == &Status::Connected
        });
        prop_assert!(!connected_without_session);
    }
}
