#!/usr/bin/env node
/*
 * The reference: socket.io-client 4.8 (websocket transport) receiving N `message:new` events.
 * Usage: node blast_client.js URL N. Prints the receive rate in events per second, then the
 * process's CPU time (user + system) per event in microseconds.
 */
'use strict';
const { io } = require('socket.io-client');

const [url, total] = [process.argv[2], Number(process.argv[3])];
const started = process.hrtime.bigint();
const cpu = process.cpuUsage();
let received = 0;
const socket = io(url, { transports: ['websocket'], reconnection: false });
socket.on('message:new', () => {
  received += 1;
  if (received === total) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    process.stdout.write(`${total / seconds} ${(used.user + used.system) / total}\n`);
    socket.close();
    process.exit(0);
  }
});
socket.on('connect_error', (error) => {
  process.stderr.write(`connect error: ${error.message}\n`);
  process.exit(1);
});
