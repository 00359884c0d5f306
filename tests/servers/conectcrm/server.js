#!/usr/bin/env node
/*
 * Loopback replica of ConectCRM's Socket.IO gateway (protocol 004 in /work/shared/PROTOCOLS.md).
 *
 * Why: the Rust integration tests start this as a REAL socket.io 4.8 server on 127.0.0.1, so the SDK meets
 * the frames ConectCRM sends. It re-implements (no code copied) the behaviour of conectcrm/conect380
 * backend/src/modules/atendimento/gateways/atendimento.gateway.ts at HEAD (NestJS 10, IoAdapter, namespace
 * /atendimento, multi-tenant rooms), plus the NestJS glue that shapes the wire:
 *  - auth in handleConnection, NOT in a middleware: the namespace CONNECT is acked `40/atendimento,{"sid"}`
 *    first, then a missing/invalid/expired token (or one without `empresa_id`) gets `41/atendimento,`
 *    (server namespace disconnect; the engine.io connection stays open). Never a CONNECT_ERROR `44`.
 *  - token = handshake.auth.token || `Authorization: Bearer` header, checked with jsonwebtoken 9.0.2 verify
 *    (same lib and defaults as @nestjs/jwt 10.2: HS256/384/512, exp and nbf enforced).
 *  - a handler's return value becomes the ack (`43/atendimento,<id>[value]`); undefined => NO ack at all
 *    (mensagem:digitando never acks); a thrown error => `exception {status:"error",message:"Internal server
 *    error"}` and no ack (e.g. ticket:entrar / ticket:sair / atendente:status without a payload).
 *  - rooms: `user:<sub>`, `empresa:<empresa_id>`, `empresa:<empresa_id>:atendentes` (roles atendente, admin,
 *    manager, supervisor, gestor, coordenador, user, vendedor), `ticket:<empresa_id>:<ticketId>`.
 *  - nova_mensagem routing (notificarNovaMensagem): to `ticket:<empresaId>:<ticketId>` when the message
 *    carries empresaId, else to the legacy room `ticket:<ticketId>` that nobody joins any more; then to
 *    `user:<atendenteId>` if set (a second copy for an assigned agent in the ticket room), else
 *    `mensagem:nao-atribuida` to the company's agents (only when empresaId is known).
 *    The string-`remetente` shape is the raw entity from MensagensController (has empresaId); the object
 *    shape comes from formatarMensagemParaFrontend (mensagem.service / whatsapp webhook: NO empresaId).
 *
 * JWT claims (as AuthService.login signs them): sub (user id, uuid), email, empresa_id (required), role,
 * iat, exp. `nome` is not read. Real DB roles are superadmin|admin|gerente|vendedor|suporte|financeiro:
 * only admin and vendedor land in the agents room (the gateway's list also has atendente, manager, ...).
 *
 * Usage: node server.js --secret S [--port 0] [--ping-interval-ms 25000] [--ping-timeout-ms 20000] [--verbose]
 * Prints `LISTENING <port>` once bound. Stops on SIGTERM/SIGINT and on EOF of stdin when stdin is a pipe.
 * HTTP test routes (JSON bodies; same port):
 *   POST /api/tickets {empresaId, id?, atendenteId?, status?, ...}  create -> novo_ticket (201 {success,data})
 *   PUT  /api/tickets/:id {status?, ...}              update -> ticket:status + ticket_atualizado
 *   POST /api/tickets/:id/atribuir {atendenteId}      -> ticket:atribuido + ticket_atualizado
 *   POST /api/mensagens {ticketId, conteudo, remetente:"CLIENTE"|"ATENDENTE", shape:"object"|"string",
 *                        tipo?, atendenteId?}         store + nova_mensagem; 201 {success, data: emitted payload}
 *   (tickets must exist, as in the real DB: ticket:entrar and /api/mensagens answer "Ticket não encontrado")
 *   POST /test/emit {event, data, room?}              raw emit in /atendimento (room or everyone)
 *   POST /test/notificacao {tipo, dados, userId? | empresaId?}   notificacao to user:<id> or company agents
 *   POST /test/contato-atividade {contatoId, empresaId}  mark contact active -> contato:status:atualizado
 *   GET  /test/stats  {connections, authFailures, rooms: {room: [userIds]}}
 *   POST /test/disconnect-all {close?}                server-side namespace disconnect of every socket
 */
'use strict';
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const jwt = require('jsonwebtoken');
const { Server } = require('socket.io');

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt; };
const SECRET = opt('--secret');
const VERBOSE = args.includes('--verbose');
if (!SECRET) { process.stderr.write('usage: node server.js --secret SECRET [--port P] [--verbose]\n'); process.exit(2); }
const log = (...a) => { if (VERBOSE) process.stderr.write(`[conectcrm] ${a.join(' ')}\n`); };

const ATENDENTE_ROLES = new Set(['atendente', 'admin', 'manager', 'supervisor', 'gestor', 'coordenador', 'user', 'vendedor']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ONLINE_MS = 5 * 60 * 1000; // OnlineStatusService: online if last activity < 5 minutes ago
const clients = new Map(); // socket.id -> {userId, role, empresaId}
const tickets = new Map(); // id -> ticket entity (subset of atendimento_tickets)
const contatos = new Map(); // `${empresaId}:${contatoId}` -> {last_activity}
const mensagens = [];
let authFailures = 0;
let numero = 1000;

const normRole = (r) => (r ?? '').toString().trim().toLowerCase();
const isAtendente = (r) => ATENDENTE_ROLES.has(normRole(r));
const rooms = { empresa: (e) => `empresa:${e}`, atendentes: (e) => `empresa:${e}:atendentes`, ticket: (e, t) => `ticket:${e}:${t}` };
function empresaOf(d) { // extrairEmpresaId
  if (!d || typeof d !== 'object') return undefined;
  const e = d.empresaId ?? d.empresa_id;
  if (typeof e === 'string' && e.trim()) return e;
  const t = d.ticket && typeof d.ticket === 'object' ? (d.ticket.empresaId ?? d.ticket.empresa_id) : undefined;
  return typeof t === 'string' && t.trim() ? t : undefined;
}
function ticketPayload(ticketId, status, dados) { // construirPayloadTicketAtualizado
  const base = { id: ticketId, ticketId, status, updatedAt: new Date() };
  if (!dados || typeof dados !== 'object') return { ...base, ...(dados ?? {}) };
  const pick = (t) => ({ ...t, id: t.id, ticketId: t.ticketId ?? t.id, status: t.status ?? status, updatedAt: t.updatedAt ?? base.updatedAt });
  if ('id' in dados) return pick(dados);
  if (dados.ticket && typeof dados.ticket === 'object' && 'id' in dados.ticket) return pick(dados.ticket);
  return { ...base, ...dados };
}

const httpServer = http.createServer((req, res) => route(req, res).catch((e) => reply(res, 500, { error: String(e && e.message) })));
const io = new Server(httpServer, {
  cors: { origin: '*', credentials: true }, // the gateway's options; path stays /socket.io/
  pingInterval: Number(opt('--ping-interval-ms', 25000)),
  pingTimeout: Number(opt('--ping-timeout-ms', 20000)),
});
const nsp = io.of('/atendimento');

// ---- gateway: connection / disconnection -------------------------------------------------------------
nsp.on('connection', (socket) => {
  handleConnection(socket); // like Nest: runs (async) first, message handlers are bound right after
  for (const [event, fn] of Object.entries(handlers)) bindNest(socket, event, fn);
  socket.on('disconnect', (reason) => {
    const info = clients.get(socket.id);
    log(`disconnect ${socket.id} (${reason})`);
    if (!info) return;
    if (isAtendente(info.role)) nsp.to(rooms.atendentes(info.empresaId)).emit('atendente:offline', { userId: info.userId, timestamp: new Date() });
    clients.delete(socket.id);
  });
});

async function handleConnection(socket) {
  const refuse = (why) => { authFailures++; log(`refuse ${socket.id}: ${why}`); socket.disconnect(); };
  try {
    const h = socket.handshake;
    const token = (h.auth && h.auth.token) || (h.headers.authorization ? h.headers.authorization.split(' ')[1] : undefined);
    if (!token) return refuse('no token');
    const payload = await new Promise((ok, ko) => jwt.verify(token, SECRET, (err, p) => (err ? ko(err) : ok(p))));
    const role = normRole(payload.role);
    const empresaId = payload.empresa_id;
    if (!empresaId || typeof empresaId !== 'string') return refuse('token without empresa_id');
    clients.set(socket.id, { userId: payload.sub, role, empresaId });
    socket.join(`user:${payload.sub}`);
    socket.join(rooms.empresa(empresaId));
    if (isAtendente(role)) socket.join(rooms.atendentes(empresaId));
    log(`connected ${socket.id} user=${payload.sub} role=${payload.role}`);
    if (isAtendente(role)) nsp.to(rooms.atendentes(empresaId)).emit('atendente:online', { userId: payload.sub, timestamp: new Date() });
    socket.emit('connected', { message: 'Conectado ao servidor de atendimento', clientId: socket.id });
  } catch (e) {
    refuse(e.message);
  }
}

// NestJS IoAdapter.bindMessageHandlers + WsProxy: (data, ack) from the args; non-nil result -> ack(result);
// a throw -> `exception` event with Nest's unknown-error body, and no ack.
function bindNest(socket, event, fn) {
  socket.on(event, async (...a) => {
    let data; let ack;
    if (a.length === 1) { if (typeof a[0] === 'function') ack = a[0]; else data = a[0]; }
    else if (typeof a[a.length - 1] === 'function') { ack = a[a.length - 1]; data = a.length === 2 ? a[0] : a.slice(0, -1); }
    else data = a;
    let result;
    try { result = await fn(socket, data); } catch (e) {
      log(`handler ${event} threw: ${e.message}`);
      socket.emit('exception', { status: 'error', message: 'Internal server error' });
      return;
    }
    if (result !== undefined && result !== null && typeof ack === 'function') ack(result);
  });
}

// ---- gateway: @SubscribeMessage handlers ---------------------------------------------------------------
const handlers = {
  'mensagem:digitando': (socket, data) => {
    const info = clients.get(socket.id);
    if (info) nsp.to(rooms.ticket(info.empresaId, data.ticketId)).emit('mensagem:digitando', { ticketId: data.ticketId, userId: info.userId, timestamp: new Date() });
    // returns nothing: no ack
  },
  'ticket:entrar': async (socket, data) => {
    const info = clients.get(socket.id);
    if (!info || !info.empresaId) return { success: false, message: 'Não autenticado' };
    const id = data.ticketId; // null/undefined data throws -> exception (the real catch block re-throws)
    // Postgres uuid column: a non-uuid id fails the query -> {success:false, error}; TypeORM drops an
    // undefined/null criterion, so then any ticket of the company matches.
    if (id !== undefined && id !== null && !UUID_RE.test(String(id))) return { success: false, error: `invalid input syntax for type uuid: "${String(id)}"` };
    const ticket = [...tickets.values()].find((t) => t.empresaId === info.empresaId && (id == null || t.id === String(id).toLowerCase()));
    if (!ticket) return { success: false, message: 'Ticket não encontrado' };
    socket.join(rooms.ticket(info.empresaId, id));
    return { success: true, ticketId: id };
  },
  'ticket:sair': (socket, data) => {
    const info = clients.get(socket.id);
    if (info && info.empresaId) socket.leave(rooms.ticket(info.empresaId, data.ticketId));
    socket.leave(`ticket:${data.ticketId}`);
    return { success: true, ticketId: data.ticketId };
  },
  'atendente:status': (socket, data) => {
    const info = clients.get(socket.id);
    if (!info || !isAtendente(info.role)) return { success: false, message: 'Não autorizado' };
    nsp.to(rooms.atendentes(info.empresaId)).emit('atendente:status:atualizado', { userId: info.userId, status: data.status, timestamp: new Date() });
    return { success: true, status: data.status };
  },
  'contato:status:verificar': async (socket, data) => {
    const info = clients.get(socket.id);
    if (!info || !isAtendente(info.role)) return { success: false, message: 'Não autorizado' };
    const contato = contatos.get(`${info.empresaId}:${data.contatoId}`) || null;
    const last = contato ? contato.last_activity : null;
    const isOnline = !!last && Date.now() - last.getTime() < ONLINE_MS;
    socket.emit('contato:status:resposta', { contatoId: data.contatoId, isOnline, lastActivity: contato ? contato.last_activity : undefined, timestamp: new Date() });
    return { success: true, contatoId: data.contatoId, isOnline };
  },
};

// ---- gateway: server-side notifications (called by the services / controllers) --------------------------
function notificarNovaMensagem(m) {
  const empresaId = empresaOf(m);
  nsp.to(empresaId ? rooms.ticket(empresaId, m.ticketId) : `ticket:${m.ticketId}`).emit('nova_mensagem', m);
  if (!m.atendenteId) { if (empresaId) nsp.to(rooms.atendentes(empresaId)).emit('mensagem:nao-atribuida', m); }
  else nsp.to(`user:${m.atendenteId}`).emit('nova_mensagem', m);
}
function notificarNovoTicket(ticket) {
  const payload = ticketPayload(ticket.id ?? ticket.ticketId, (ticket.status ?? 'aberto').toString(), ticket);
  const empresaId = empresaOf(ticket);
  if (empresaId) nsp.to(rooms.empresa(empresaId)).emit('novo_ticket', payload);
}
function notificarStatusTicket(ticketId, status, dados) {
  const payload = ticketPayload(ticketId, status, dados);
  const empresaId = empresaOf(payload) ?? empresaOf(dados);
  if (empresaId) nsp.to(rooms.ticket(empresaId, ticketId)).emit('ticket:status', { ...payload, timestamp: new Date() });
  nsp.to(`ticket:${ticketId}`).emit('ticket:status', { ...payload, timestamp: new Date() }); // legacy room
  if (empresaId) nsp.to(rooms.empresa(empresaId)).emit('ticket_atualizado', payload);
}
function notificarAtribuicaoTicket(ticketId, atendenteId, dados) {
  nsp.to(`user:${atendenteId}`).emit('ticket:atribuido', { ticketId, atendenteId, ...dados, timestamp: new Date() });
  const payload = ticketPayload(ticketId, 'atribuido', dados);
  const empresaId = empresaOf(payload) ?? empresaOf(dados);
  if (empresaId) nsp.to(rooms.empresa(empresaId)).emit('ticket_atualizado', { ticketId, atendenteId, status: 'atribuido', ...payload });
}
// MensagemService.formatarMensagemParaFrontend (no midia here, so anexos is [] and audio is absent)
function formatar(m, { fotoContato, status, atendenteId }) {
  const cliente = m.remetente === 'CLIENTE';
  return {
    id: m.id, ticketId: m.ticketId, atendenteId: atendenteId ?? null,
    remetente: { id: m.id, nome: cliente ? 'Cliente' : 'Atendente', foto: cliente ? fotoContato || null : null, tipo: cliente ? 'cliente' : 'atendente' },
    conteudo: m.conteudo, timestamp: m.createdAt, status: status || 'lido', anexos: [],
  };
}

// ---- HTTP test routes ---------------------------------------------------------------------------------
const reply = (res, code, obj) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const s = Buffer.concat(chunks).toString('utf8');
  return s.trim() ? JSON.parse(s) : {};
}
function stats() {
  const out = {};
  for (const [room, sids] of nsp.adapter.rooms) {
    if (sids.size === 1 && sids.has(room)) continue; // each socket's own room
    out[room] = [...sids].map((sid) => (clients.get(sid) || {}).userId ?? null);
  }
  return { connections: clients.size, authFailures, rooms: out };
}

async function route(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const p = url.pathname;
  if (req.method === 'GET' && p === '/test/stats') return reply(res, 200, stats());
  if (req.method !== 'POST' && req.method !== 'PUT') return reply(res, 404, { error: 'not found' });
  let b;
  try { b = await readJson(req); } catch (e) { return reply(res, 400, { error: 'invalid JSON' }); }
  const notFound = () => reply(res, 201, { success: false, message: 'Ticket não encontrado' }); // as the real controllers
  let m;
  if (req.method === 'POST' && p === '/test/emit') {
    if (!b.event) return reply(res, 400, { error: 'event required' });
    (b.room ? nsp.to(b.room) : nsp).emit(b.event, b.data);
    return reply(res, 200, { ok: true });
  }
  if (req.method === 'POST' && p === '/test/notificacao') {
    const body = { tipo: b.tipo, dados: b.dados, timestamp: new Date() };
    if (b.userId) nsp.to(`user:${b.userId}`).emit('notificacao', body); // notificarUsuario
    else if (b.empresaId) nsp.to(rooms.atendentes(b.empresaId)).emit('notificacao', body); // notificarAtendentes
    else return reply(res, 400, { error: 'userId or empresaId required' });
    return reply(res, 200, { ok: true });
  }
  if (req.method === 'POST' && p === '/test/contato-atividade') { // atualizarAtividadeContato
    const last = new Date();
    contatos.set(`${b.empresaId}:${b.contatoId}`, { last_activity: last });
    nsp.to(rooms.atendentes(b.empresaId)).emit('contato:status:atualizado', { contatoId: b.contatoId, isOnline: true, lastActivity: last, timestamp: new Date() });
    return reply(res, 200, { ok: true });
  }
  if (req.method === 'POST' && p === '/test/disconnect-all') {
    const n = nsp.sockets.size;
    for (const s of [...nsp.sockets.values()]) s.disconnect(!!b.close);
    return reply(res, 200, { disconnected: n });
  }
  if (req.method === 'POST' && p === '/api/tickets') { // TicketsController.criar
    if (!b.empresaId) return reply(res, 400, { error: 'empresaId required' });
    const now = new Date();
    const t = {
      id: (b.id || crypto.randomUUID()).toLowerCase(), numero: ++numero, assunto: null, status: 'FILA', prioridade: 'MEDIA',
      canalId: null, filaId: null, atendenteId: null, empresaId: b.empresaId, contatoNome: null, contatoTelefone: null,
      contatoFoto: null, data_abertura: now, ultima_mensagem_em: null, createdAt: now, updatedAt: now,
    };
    Object.assign(t, b, { id: t.id });
    tickets.set(t.id, t);
    notificarNovoTicket(t);
    return reply(res, 201, { success: true, message: 'Ticket criado com sucesso', data: t });
  }
  if ((m = p.match(/^\/api\/tickets\/([^/]+)$/)) && req.method === 'PUT') { // TicketsController.atualizar
    const t = tickets.get(m[1].toLowerCase());
    if (!t) return reply(res, 200, { success: false, message: 'Ticket não encontrado' });
    Object.assign(t, b, { id: t.id, updatedAt: new Date() });
    notificarStatusTicket(t.id, t.status, t);
    return reply(res, 200, { success: true, message: 'Ticket atualizado com sucesso', data: t });
  }
  if ((m = p.match(/^\/api\/tickets\/([^/]+)\/atribuir$/)) && req.method === 'POST') { // TicketsController.atribuir
    const t = tickets.get(m[1].toLowerCase());
    if (!t) return notFound();
    Object.assign(t, { atendenteId: b.atendenteId, status: 'EM_ATENDIMENTO', updatedAt: new Date() });
    notificarAtribuicaoTicket(t.id, b.atendenteId, t);
    return reply(res, 201, { success: true, message: 'Ticket atribuído com sucesso', data: t });
  }
  if (req.method === 'POST' && p === '/api/mensagens') {
    const t = tickets.get(String(b.ticketId || '').toLowerCase());
    if (!t) return notFound();
    const remetente = b.remetente === 'CLIENTE' ? 'CLIENTE' : 'ATENDENTE';
    const msg = { empresaId: t.empresaId, ticketId: t.id, tipo: b.tipo || 'TEXTO', conteudo: b.conteudo ?? '', remetente, midia: null, id: crypto.randomUUID(), createdAt: new Date() };
    mensagens.push(msg);
    t.ultima_mensagem_em = msg.createdAt;
    let payload;
    if (b.shape === 'string') payload = { ...msg, ticketNumero: t.numero, atendenteId: t.atendenteId ?? null }; // MensagensController.criar
    else if (remetente === 'CLIENTE') payload = { ...formatar(msg, { fotoContato: t.contatoFoto, atendenteId: t.atendenteId || null }), criadoEm: msg.createdAt, status: 'lido' }; // whatsapp webhook
    else payload = formatar(msg, { fotoContato: t.contatoFoto, status: 'enviado', atendenteId: b.atendenteId || t.atendenteId || null }); // MensagemService.enviar
    notificarNovaMensagem(payload);
    return reply(res, 201, { success: true, message: 'Mensagem criada com sucesso', data: payload });
  }
  return reply(res, 404, { error: 'not found' });
}

// ---- lifecycle ------------------------------------------------------------------------------------------
const shutdown = () => { log('shutting down'); process.exit(0); };
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
try {
  const st = fs.fstatSync(0); // a pipe from the parent test (a socketpair when the parent is node): EOF = parent gone
  if (st.isFIFO() || st.isSocket()) {
    process.stdin.on('end', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }
} catch (_) { /* no stdin */ }
httpServer.listen(Number(opt('--port', 0)), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});
