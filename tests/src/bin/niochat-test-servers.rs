//! Starts the test servers and their control WebSocket for suites outside this process (the
//! browser, the JVM, Python), prints `{"control": "ws://127.0.0.1:<port>"}` on one line, and
//! runs until its standard input closes (the parent is gone) or it is killed.
#![forbid(unsafe_code)]

use tokio::io::AsyncReadExt;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let servers = niochat_testkit::ControlledServers::start().await;
    let control = servers.serve().await?;
    println!("{}", serde_json::json!({ "control": control }));
    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 64];
    while stdin.read(&mut sink).await? > 0 {}
    Ok(())
}
