#!/usr/bin/env node
/*
 * The benchmark's Socket.IO server: socket.io 4.8 on 127.0.0.1, namespace "/". Every client
 * that connects gets `--count N` `message:new` events in PyTake's shape right after its
 * CONNECT is acknowledged. Prints `LISTENING <port>`; exits when stdin closes.
 */
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const args = process.argv.slice(2);
const count = Number(args[args.indexOf('--count') + 1] || 1000);
// Frames per corked write: a few hundred make writes of tens of KiB.
const CHUNK = 256;

const server = http.createServer();
const io = new Server(server, { transports: ['websocket'], serveClient: false });
// Each event is encoded exactly as `socket.emit` encodes it for namespace "/" (`2` + JSON of
// [name, data], in an Engine.IO message `4`), so the wire is emit's. Encoded once, here: the
// server's own pace should not be what the clients are measured by.
const frames = Array.from({ length: count }, (_, n) => '42' + JSON.stringify(['message:new', {
  id: `m${n}`,
  conversation_id: 'c1',
  direction: 'inbound',
  sender_type: 'contact',
  message_type: 'text',
  content: { text: `message number ${n} of the benchmark` },
  status: 'received',
  created_at: '2025-12-07T10:00:00+00:00',
}]));

io.on('connection', (socket) => {
  // The burst is written straight to the connection's `ws` socket while its TCP socket is
  // corked, so it leaves in large writes. Through Engine.IO's write buffer
  // (`socket.conn.write`), every frame after the first went out in a `writev` of its own
  // (16,023 calls for 16,000 events, counted with strace), and that pace bounded every client
  // near the same rate.
  const conn = socket.conn;
  const blast = () => {
    const ws = conn.transport.socket;
    const tcp = ws && ws._socket;
    if (!tcp) {
      for (const frame of frames) conn.write(frame.slice(1));
      return;
    }
    // In chunks, each corked, the next one after the event loop's I/O turn: so the server
    // frames the next chunk while the client reads the last (corking the whole burst at once
    // kept the client waiting for the server to frame all of it first, and the measured time
    // was the server's plus the client's).
    let next = 0;
    const chunk = () => {
      tcp.cork();
      const end = Math.min(next + CHUNK, frames.length);
      for (; next < end; next += 1) ws.send(frames[next]);
      tcp.uncork();
      if (next < frames.length) setImmediate(chunk);
    };
    chunk();
  };
  // The burst must follow the CONNECT ack: wait until Engine.IO has handed everything it
  // holds to the socket (it says so with `drain`), as a real server's handler would.
  setImmediate(() => {
    if (conn.writeBuffer.length === 0) blast();
    else conn.once('drain', blast);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
