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

const server = http.createServer();
const io = new Server(server, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  // Let the CONNECT ack go out first, as a real server's handler would. Each event is
  // encoded exactly as `socket.emit` encodes it for namespace "/" (`2` + JSON of [name,
  // data]) and written through socket.io's own Engine.IO socket, so the wire is emit's; only
  // emit's per-call packet machinery is skipped, which makes the server outpace every client
  // measured: the row compares clients, not this server.
  setImmediate(() => {
    // Corked, the burst leaves in large TCP writes rather than a system call per frame.
    const tcp = socket.conn.transport.socket && socket.conn.transport.socket._socket;
    if (tcp) tcp.cork();
    for (let n = 0; n < count; n++) {
      socket.conn.write('2' + JSON.stringify(['message:new', {
        id: `m${n}`,
        conversation_id: 'c1',
        direction: 'inbound',
        sender_type: 'contact',
        message_type: 'text',
        content: { text: `message number ${n} of the benchmark` },
        status: 'received',
        created_at: '2025-12-07T10:00:00+00:00',
      }]));
    }
    if (tcp) process.nextTick(() => tcp.uncork());
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
