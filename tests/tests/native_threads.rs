//! Which threads do the native client's work: a handle shared across threads and tasks, a
//! command on a quiet connection written by the calling thread (and not, with
//! `caller_thread_writes(false)`), commands from many threads at once, a flood read while a
//! command is made inline, and a client that outlives its runtime.

mod support;

use niochat_client::{CommandError, Event, Refused};
use niochat_testkit::TestServer;
use support::{builder, connected, join};

#[test]
fn the_client_handle_can_be_shared_across_threads_and_tasks() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<niochat_client::Client>();
    fn sendable<T: Send + 'static>() {}
    sendable::<niochat_client::EventStream>();
}

/// A client built on a runtime of its own, with its server on another, so the test can
/// hold the client's thread.
fn client_runtime_and_server() -> (tokio::runtime::Runtime, TestServer, tokio::runtime::Runtime) {
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let server = server_runtime.block_on(TestServer::start());
    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (server_runtime, server, client_runtime)
}

#[test]
fn on_a_quiet_connection_a_command_is_written_before_the_call_returns() {
    let (_server_runtime, server, runtime) = client_runtime_and_server();
    runtime.block_on(async {
        let (client, _events) = connected(builder(&server, "alice")).await;
        join(&client, "c1").await;
        let answer = client.send_message("c1", "written at once");
        // On a one-thread runtime, the driver's task cannot run until this task waits: the
        // frame reaches the server only if the call wrote it.
        let holding = std::time::Instant::now();
        while server.messages("c1").is_empty() {
            assert!(
                holding.elapsed() < support::PATIENCE,
                "the frame waited for the driver's task"
            );
            std::thread::yield_now();
        }
        // The acknowledgement is read by the task as usual.
        answer.await.expect("acknowledged");
        // Busy (the first still unanswered), a command is left to the task, and goes out in
        // order after it.
        let first = client.send_message("c1", "one");
        let second = client.send_message("c1", "two");
        first.await.expect("acknowledged");
        second.await.expect("acknowledged");
        let contents: Vec<String> = server
            .messages("c1")
            .iter()
            .filter_map(|message| message.content.text().map(str::to_string))
            .collect();
        assert_eq!(contents, ["written at once", "one", "two"]);
    });
}

#[test]
fn commands_from_many_threads_at_once_are_all_acknowledged_in_their_order() {
    let (_server_runtime, server, _) = client_runtime_and_server();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = runtime.block_on(async {
        let (client, _events) = connected(builder(&server, "alice")).await;
        join(&client, "c1").await;
        client
    });
    // Each thread sends one message at a time, so the connection keeps turning quiet and
    // threads race to write inline, with each other and with the driver's task.
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let (client, runtime) = (client.clone(), runtime.handle().clone());
            std::thread::spawn(move || {
                for n in 0..100 {
                    let answer = client.send_message("c1", format!("{thread} {n}"));
                    runtime.block_on(answer).expect("acknowledged");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread panicked");
    }
    let stored = server.messages("c1");
    assert_eq!(stored.len(), 400, "every message, once");
    for thread in 0..4 {
        let numbers: Vec<usize> = stored
            .iter()
            .filter_map(|message| {
                let (from, n) = message.content.text()?.split_once(' ')?;
                (from == thread.to_string()).then(|| n.parse().ok())?
            })
            .collect();
        assert_eq!(numbers, (0..100).collect::<Vec<_>>(), "thread {thread}");
    }
}

#[test]
fn a_client_outliving_its_runtime_refuses_commands_as_closed() {
    let (server_runtime, server, runtime) = client_runtime_and_server();
    let client = runtime.block_on(async {
        let (client, _events) = connected(builder(&server, "alice")).await;
        join(&client, "c1").await;
        client
    });
    drop(runtime);
    let answer = client.send_message("c1", "after the end");
    let outcome = server_runtime.block_on(answer);
    assert!(
        matches!(outcome, Err(CommandError::Refused(Refused::Closed))),
        "{outcome:?}"
    );
}

#[test]
fn a_command_made_inline_during_a_flood_loses_none_of_it() {
    let (_server_runtime, server, runtime) = client_runtime_and_server();
    runtime.block_on(async {
        let (client, mut events) = connected(builder(&server, "alice")).await;
        join(&client, "c1").await;
        drop(events.drain_ready());
        // While this task holds the only thread of alice's runtime, her driver's task cannot
        // read: the flood piles up on her socket and in the server's queue.
        const FLOOD: usize = 5_000;
        for n in 0..FLOOD {
            server.post_message("c1", "bob", &format!("flood {n}"));
        }
        // Quiet (nothing of alice's is outstanding), so the call runs a pass of the driver
        // on this thread (one pass at most: `shared_driver`'s unit tests), then the task
        // reads the rest.
        client
            .send_message("c1", "mine")
            .await
            .expect("acknowledged");
        let mut received = 0;
        let deadline = tokio::time::Instant::now() + support::PATIENCE;
        while received < FLOOD {
            let event = tokio::time::timeout_at(deadline, events.next())
                .await
                .expect("the whole flood arrives");
            received += usize::from(matches!(
                event,
                Some(Event::Message { message, .. })
                    if message.user_id == Some(niochat_client::Id::from("bob"))
            ));
        }
    });
}

/// An outbox store that remembers which threads saved a message.
#[derive(Default)]
struct SavingThreads {
    store: niochat_client::MemoryOutboxStore,
    threads: std::sync::Arc<std::sync::Mutex<Vec<std::thread::ThreadId>>>,
}

impl niochat_client::OutboxStore for SavingThreads {
    fn load(&self) -> Result<Vec<niochat_client::StoredMessage>, niochat_client::StoreError> {
        self.store.load()
    }

    fn save(
        &self,
        message: &niochat_client::StoredMessage,
    ) -> Result<(), niochat_client::StoreError> {
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        self.store.save(message)
    }

    fn remove(&self, id: u64) -> Result<(), niochat_client::StoreError> {
        self.store.remove(id)
    }
}

/// Sends messages one at a time, each from a new thread outside the client's runtime, as an
/// app's UI thread would, and tells whether any of those threads saved its message to the
/// outbox (did the connection's work). Several: a send right after another turn of the
/// connection (the join's sync answered a moment later, the task still finishing its poll)
/// is handed to the task, so one send alone may not find the connection quiet.
fn saved_on_the_calling_thread(caller_thread_writes: bool) -> bool {
    const SENDS: usize = 10;
    let (_server_runtime, server, _) = client_runtime_and_server();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let saving = SavingThreads::default();
    let threads = saving.threads.clone();
    let client = runtime.block_on(async {
        let builder = builder(&server, "alice")
            .outbox_store(saving)
            .caller_thread_writes(caller_thread_writes);
        let (client, _events) = connected(builder).await;
        join(&client, "c1").await;
        client
    });
    let mut callers = Vec::new();
    for n in 0..SENDS {
        let (answer, caller) = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let caller = std::thread::current().id();
                    (
                        client.send_message("c1", format!("from the app's thread {n}")),
                        caller,
                    )
                })
                .join()
                .unwrap()
        });
        runtime.block_on(answer).expect("acknowledged");
        callers.push(caller);
    }
    let threads = threads.lock().unwrap().clone();
    assert_eq!(threads.len(), SENDS, "each message saved once");
    threads
        .iter()
        .zip(&callers)
        .any(|(saver, caller)| saver == caller)
}

#[test]
fn with_caller_thread_writes_off_the_connections_work_stays_off_the_callers_thread() {
    assert!(!saved_on_the_calling_thread(false));
    // On (the default), a quiet connection's command is carried out by the calling thread.
    assert!(saved_on_the_calling_thread(true));
}
