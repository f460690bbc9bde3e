// hub.js — hosts the C hub (dist/starling_hub.wasm) in Node: an HTTP
// server for /health, /metrics and (dev only) /dev/token, and a `ws`
// WebSocket server whose events are fed to the hub's state machine. All
// protocol policy lives in C (src/hub/hub.c); this file moves bytes and
// guards what only the host can see: sockets before the WebSocket exists,
// and bytes a client has not read yet.
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import createStarlingHub from '../dist/starling_hub.mjs';
import { StarlingError } from './errors.js';
import { getRandomValue } from './random.js';
import { mintToken, isBase64urlKey } from './token.js';
import { webSocketServerClass } from './platform-node.js';
import { joinCluster, CLUSTER_OUTPUT, SL_HUB_CLUSTER } from './hub-cluster.js';

export { mintToken } from './token.js';

/** Limits and timers, by option name -> enum sl_hub_setting (starling.h). */
export const SETTINGS = {
  maxMessage: 1, maxRoomsPerClient: 2, maxPeersPerRoom: 3, maxConnections: 4, authTimeoutMs: 5,
  pingIntervalMs: 6, staleMs: 7, messageRate: 8, messageBurst: 9, connectRate: 10, connectBurst: 11,
  authRate: 12, authBurst: 13, relayMaxBytes: 14, relayMaxMs: 15, jwtSkewSeconds: 16, relayRate: 17, relayBurst: 18,
  joinRate: 19, joinBurst: 20,
};
/** enum sl_hub_output_kind and enum sl_hub_close_code (starling.h). */
export const OUTPUT = { SEND_TEXT: 1, SEND_BINARY: 2, CLOSE: 3 };
export const CLOSE_CODE = { POLICY: 4000, UNAUTHENTICATED: 4001, SLOW_CONSUMER: 4008 };

/** Options the host itself uses: name -> [min, max, default]. */
const HOST_OPTIONS = {
  port: [0, 65535, 0],
  tickMs: [10, 60000, 1000],
  // What a client may have unread before the hub closes it (SLOW_CONSUMER).
  maxBufferedBytes: [64 * 1024, 1024 * 1024 * 1024, 4 * 1024 * 1024],
  // Open TCP sockets per address, counted before any HTTP or WebSocket work.
  maxSocketsPerAddress: [1, 1e6, 512],
  // How long a client has to send its HTTP request (upgrade) headers.
  headersTimeoutMs: [1000, 600000, 10000],
};
// Before authentication only an auth message (a token <= 4 KiB) or a proof
// is valid, so a socket may not make the hub buffer more than this.
const PRE_AUTH_MAX_PAYLOAD = 8 * 1024;
// A refused unauthenticated socket gets its error and close frame, then
// this long to go before it is cut (ws would otherwise wait 30 s).
const PRE_AUTH_LINGER_MS = 1000;

async function loadHub() {
  const wasmBinary = await readFile(new URL('../dist/starling_hub.wasm', import.meta.url));
  const m = await createStarlingHub({ wasmBinary, getRandomValue }); // see random.js
  if (m._sl_init() !== 0) throw new StarlingError('CRYPTO_INIT', 'libsodium failed to initialise');
  return m;
}

function cString(m, ptr, len) {
  return new TextDecoder().decode(m.HEAPU8.subarray(ptr, ptr + len));
}

function fail(m, rc, what) {
  const name = cString(m, m._sl_errname(rc), 64).split('\0')[0];
  throw new StarlingError(name, `${what}: ${cString(m, m._sl_strerror(rc), 200).split('\0')[0]}`, rc);
}

/** Copies bytes (or a string, NUL-terminated) into wasm memory; caller frees. */
function put(m, data) {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(`${data}\0`) : data;
  const ptr = m._malloc(Math.max(1, bytes.length));
  m.HEAPU8.set(bytes, ptr);
  return ptr;
}

function numberOption(opts, name, [min, max, fallback]) {
  const v = opts[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new StarlingError('INVALID_OPTION', `startHub: ${name} must be a finite number from ${min} to ${max} (got ${String(v)})`);
  }
  return v;
}

/** Every option is checked before anything starts: a bad one starts nothing. */
function hostOptions(opts) {
  if (opts === null || typeof opts !== 'object') throw new TypeError('startHub takes an options object');
  const out = {};
  for (const [name, spec] of Object.entries(HOST_OPTIONS)) out[name] = numberOption(opts, name, spec);
  if (!Number.isInteger(out.port)) throw new StarlingError('INVALID_OPTION', `startHub: port must be an integer from 0 to 65535 (got ${opts.port})`);
  for (const name of Object.keys(SETTINGS)) {
    if (opts[name] !== undefined && (typeof opts[name] !== 'number' || !Number.isFinite(opts[name]))) {
      throw new StarlingError('INVALID_OPTION', `startHub: ${name} must be a finite number (got ${String(opts[name])})`);
    }
  }
  if (opts.jwtSecret && opts.jwtPublicKey) throw new TypeError('startHub takes exactly one of jwtSecret (HS256) and jwtPublicKey (EdDSA), not both');
  if (!opts.jwtSecret && !opts.jwtPublicKey) throw new TypeError('startHub needs jwtSecret (HS256) or jwtPublicKey (EdDSA)');
  if (opts.dev && !opts.jwtSecret) throw new TypeError('startHub: dev (the /dev/token endpoint) needs jwtSecret');
  out.turn = turnOptions(opts.turn);
  if (opts.redis !== undefined && (typeof opts.redis !== 'string' || !/^rediss?:\/\/\S+$/.test(opts.redis))) {
    throw new StarlingError('INVALID_OPTION', `startHub: redis must be a redis:// or rediss:// URL (got ${String(opts.redis)})`);
  }
  out.host = opts.host ?? '127.0.0.1';
  if (typeof out.host !== 'string') throw new TypeError('startHub: host must be a string');
  return out;
}

/** turn: { secret, urls, ttlSeconds }: the TURN servers whose
 * credentials (coturn's shared-secret REST scheme) the hub hands out. */
function turnOptions(turn) {
  if (turn === undefined || turn === null) return null;
  const bad = (why) => new StarlingError('INVALID_OPTION', `startHub: turn.${why}`);
  if (typeof turn !== 'object') throw bad('must be { secret, urls, ttlSeconds? }');
  const { secret, urls, ttlSeconds = 3600 } = turn;
  if (typeof secret !== 'string' || secret.length < 16) throw bad('secret must be a string of at least 16 characters (coturn\'s static-auth-secret)');
  const list = typeof urls === 'string' ? [urls] : urls;
  if (!Array.isArray(list) || list.length === 0 || list.length > 8 || !list.every((u) => typeof u === 'string' && /^(stun|stuns|turn|turns):[^\s]+$/.test(u))) {
    throw bad('urls must be 1 to 8 stun:, turn: or turns: URLs');
  }
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > 7 * 86400) throw bad('ttlSeconds must be an integer from 60 to 604800');
  return { secret, urls: list, ttlSeconds };
}

/**
 * A TURN credential in coturn's shared-secret ("TURN REST API") scheme:
 * the username is "<expiry unix seconds>:<user>", the password the
 * base64 HMAC-SHA1 of the username under the shared secret; coturn
 * (use-auth-secret) recomputes it and refuses it after the expiry.
 */
export function turnCredential(secret, user, ttlSeconds, nowMs = Date.now()) {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

function configure(m, hub, opts) {
  const range = m._malloc(16);
  try {
    for (const [name, id] of Object.entries(SETTINGS)) {
      if (opts[name] === undefined) continue;
      if (m._sl_hub_set(hub, id, opts[name]) < 0) {
        m._sl_hub_setting_range(id, range, range + 8);
        const [min, max] = m.HEAPF64.subarray(range >> 3, (range >> 3) + 2);
        throw new RangeError(`startHub: ${name} must be from ${min} to ${max} (got ${opts[name]})`);
      }
    }
  } finally {
    m._free(range);
  }
  const setBytes = (fn, bytes, what) => {
    const p = put(m, bytes);
    const rc = m[fn](hub, p, bytes.length);
    m._free(p);
    if (rc < 0) fail(m, rc, what);
  };
  if (opts.jwtPublicKey) {
    const pk = typeof opts.jwtPublicKey === 'string' ? Buffer.from(opts.jwtPublicKey, 'base64url') : opts.jwtPublicKey;
    if (pk.length !== 32) throw new TypeError('jwtPublicKey must be 32 bytes (raw Ed25519, base64url)');
    setBytes('_sl_hub_set_jwt_eddsa', pk, 'jwtPublicKey');
  } else {
    const secret = typeof opts.jwtSecret === 'string' ? new TextEncoder().encode(opts.jwtSecret) : opts.jwtSecret;
    if (secret.length < 32) throw new RangeError('jwtSecret must be at least 32 bytes');
    setBytes('_sl_hub_set_jwt_hs256', secret, 'jwtSecret');
  }
  for (const [key, fn] of [['audience', '_sl_hub_set_jwt_audience'], ['issuer', '_sl_hub_set_jwt_issuer']]) {
    if (!opts[key]) continue;
    const p = put(m, String(opts[key]));
    const rc = m[fn](hub, p);
    m._free(p);
    if (rc < 0) fail(m, rc, key);
  }
}

/** Listens, or rejects with a coded error (EADDRINUSE -> ADDRESS_IN_USE). */
function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (err) => {
      server.off('listening', onListening);
      const code = { EADDRINUSE: 'ADDRESS_IN_USE', EACCES: 'ADDRESS_NOT_PERMITTED', EADDRNOTAVAIL: 'ADDRESS_NOT_AVAILABLE' }[err.code] ?? 'LISTEN_FAILED';
      const e = new StarlingError(code, `cannot listen on ${host}:${port}: ${err.message}`);
      e.cause = err;
      reject(e);
    };
    const onListening = () => { server.off('error', onError); resolve(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The answer to POST /dev/token (dev mode only). */
async function devTokenResponse(req, secret) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 4096) return [413, { error: 'body larger than 4 KiB' }];
  }
  let parsed;
  try { parsed = JSON.parse(body); } catch { parsed = null; }
  const { publicKey, userId = 'dev' } = parsed ?? {};
  if (!isBase64urlKey(publicKey)) {
    return [400, { error: 'POST {"publicKey": the 32-byte Ed25519 key in unpadded base64url (RFC 4648 §5; not standard base64), "userId"?: string}' }];
  }
  try {
    return [200, { token: mintToken({ secret, publicKey, userId }) }];
  } catch (err) {
    return [400, { error: err.message }];
  }
}

// A dev hub's token endpoint answers any origin: a browser app served from
// another port (a Vite dev server) must be able to call it. Dev only.
const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type' };

/**
 * Starts a hub. Resolves to { url, httpUrl, port, metrics(), close() };
 * `url` is what peers pass as hubUrl. Rejects with a coded StarlingError
 * (INVALID_OPTION, ADDRESS_IN_USE, ...) and leaves nothing running.
 */
export async function startHub(opts = {}) {
  const host = hostOptions(opts);
  const { dev = false, requestHandler, onError } = opts;
  const WebSocketServer = await webSocketServerClass();
  const m = await loadHub();
  const slots = m._malloc(32); // one sl_hub_output (six 32-bit words) or out-params
  let rc = m._sl_hub_new(slots);
  if (rc < 0) fail(m, rc, 'hub');
  const hub = m.HEAPU32[slots >> 2];
  try {
    configure(m, hub, opts);
  } catch (err) {
    m._sl_hub_free(hub);
    throw err;
  }
  const secret = dev ? opts.jwtSecret : null;
  const sockets = new Map(); // connection id -> ws
  const now = () => performance.now();
  const started = Date.now();
  let failure = null;        // set once the hub latched a failure: it stops serving
  let socketsRefused = 0;    // by maxSocketsPerAddress, before any HTTP work

  // Outputs are written in batches: every socket that gets something is
  // corked for the batch, so a burst of messages for one destination (ICE
  // candidates, relay records) leaves in one write instead of one syscall
  // per message. `_socket` is ws's net.Socket; cork/uncork nest.
  const corked = new Set();
  function pump() {
    pumpScheduled = false;
    while (m._sl_hub_next_output(hub, slots)) {
      const w = slots >> 2;
      const [conn, kind, data, len, code, from] = m.HEAPU32.subarray(w, w + 6);
      if (cluster && routeInCluster(conn, kind, data, len, from)) continue;
      const ws = sockets.get(conn);
      if (!ws || ws.readyState !== 1) continue;
      if (kind === OUTPUT.CLOSE) {
        closeSocket(ws, code);
        continue;
      }
      // What a client has not read is capped: a relay record waits for a
      // reader only up to half the cap (its path ends and the sender is
      // told), anything else up to the cap (the client is closed).
      const unread = ws.bufferedAmount + len;
      if (kind === OUTPUT.SEND_BINARY && unread > host.maxBufferedBytes / 2) {
        m._sl_hub_relay_stalled(hub, conn, data, len);
        continue;
      }
      if (unread > host.maxBufferedBytes) {
        m._sl_hub_overflow(hub, conn);
        continue;
      }
      if (!corked.has(ws)) {
        ws._socket?.cork();
        corked.add(ws);
      }
      ws.send(m.HEAPU8.slice(data, data + len), { binary: kind === OUTPUT.SEND_BINARY });
      if (awaitingTurn.has(conn) && kind === OUTPUT.SEND_TEXT) confirmTurn(conn, ws, m.HEAPU8.subarray(data, data + len));
    }
    for (const ws of corked) ws._socket?.uncork();
    corked.clear();
    if (!failure && m._sl_hub_status(hub) < 0) stopServing();
  }
  // TURN credentials go to a client right after the hub's "authenticated"
  // message (its session reads hub messages only once authenticated), and
  // again every half TTL while it stays, so they never lapse mid-session.
  const awaitingTurn = new Set(); // connection ids authenticated, "authenticated" not yet sent
  const turnPeers = new Map();    // connection id -> peer id, for refreshes
  let turnIssued = 0;
  function confirmTurn(conn, ws, bytes) {
    let msg;
    try { msg = JSON.parse(new TextDecoder().decode(bytes)); } catch { return; }
    if (msg?.type !== 'authenticated' || typeof msg.payload?.peerId !== 'string') return;
    awaitingTurn.delete(conn);
    turnPeers.set(conn, msg.payload.peerId);
    sendTurn(ws, msg.payload.peerId);
  }
  function sendTurn(ws, peerId) {
    const { secret, urls, ttlSeconds } = host.turn;
    const { username, credential } = turnCredential(secret, peerId, ttlSeconds);
    turnIssued++;
    ws.send(JSON.stringify({ type: 'ice-servers', payload: { iceServers: [{ urls, username, credential }], ttlSeconds } }));
  }
  // With redis: the cluster outputs about our clients, and everything for
  // a remote connection, go to the other instances (hub-cluster.js).
  let cluster = null;
  function routeInCluster(conn, kind, data, len, from) {
    if (kind >= CLUSTER_OUTPUT.PEER_UP && kind <= CLUSTER_OUTPUT.AUTH_FROM) {
      cluster.localEvent(kind, conn, m.HEAPU8.slice(data, data + len));
      return true;
    }
    if (!cluster.isRemote(conn)) return false;
    if (kind === OUTPUT.CLOSE) cluster.closedByHub(conn);
    else cluster.carry(conn, from, kind === OUTPUT.SEND_BINARY, m.HEAPU8.slice(data, data + len));
    return true;
  }
  function closeSocket(ws, code) {
    if (code === CLOSE_CODE.SLOW_CONSUMER) return ws.terminate(); // it does not read: no close handshake
    ws.close(code);
    if (code === CLOSE_CODE.UNAUTHENTICATED) setTimeout(() => ws.terminate(), PRE_AUTH_LINGER_MS).unref();
  }
  // Out of memory inside the hub: its state and the sockets may disagree,
  // so it stops serving and says so (/health, /metrics, onError).
  function stopServing() {
    failure = new StarlingError('HUB_FAILED', 'the hub ran out of memory and stopped serving; restart it');
    for (const ws of sockets.values()) ws.terminate();
    if (onError) onError(failure);
    else console.error(`starling: ${failure.code}: ${failure.message}`);
  }
  // Messages that arrive together (ws emits every frame of one TCP read
  // synchronously) share one pump, run as soon as that read is handled:
  // outputs for one destination leave in one write. (setImmediate, which
  // would batch across sockets too, measured slower on bursts.) Close,
  // connect and tick pump at once, so a queued output never outlives the
  // socket its connection id named.
  let pumpScheduled = false;
  function schedulePump() {
    if (pumpScheduled) return;
    pumpScheduled = true;
    queueMicrotask(pump);
  }

  function metricsText() {
    rc = m._sl_hub_metrics(hub, slots, slots + 4);
    if (rc < 0) fail(m, rc, 'metrics');
    const ptr = m.HEAPU32[slots >> 2];
    const text = cString(m, ptr, m.HEAPU32[(slots >> 2) + 1]);
    m._free(ptr);
    return `${text}# HELP starling_hub_sockets_refused_total TCP sockets refused by the per-address cap.\n`
      + `# TYPE starling_hub_sockets_refused_total counter\nstarling_hub_sockets_refused_total ${socketsRefused}\n`
      + `# HELP starling_hub_turn_credentials_total TURN credentials handed out (first and refreshes).\n`
      + `# TYPE starling_hub_turn_credentials_total counter\nstarling_hub_turn_credentials_total ${turnIssued}\n`
      + (cluster ? cluster.metricsText() : '');
  }

  const server = createServer({
    headersTimeout: host.headersTimeoutMs,
    requestTimeout: host.headersTimeoutMs * 2,
    connectionsCheckingInterval: Math.min(1000, host.headersTimeoutMs),
  }, async (req, res) => {
    const path = new URL(req.url, 'http://hub').pathname;
    const json = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (path === '/health') {
      const body = { status: failure ? 'failed' : 'ok', connections: sockets.size, uptimeSeconds: Math.round((Date.now() - started) / 1000) };
      // Without Redis an instance still serves its own clients, but not
      // the others': degraded, not failed (a balancer may keep it).
      if (cluster) Object.assign(body, cluster.status(), !failure && !cluster.up ? { status: 'degraded' } : {});
      return json(failure ? 503 : 200, failure ? { ...body, error: failure.code } : body);
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(metricsText());
    }
    if (path === '/dev/token' && secret) {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS);
        return res.end();
      }
      if (req.method === 'POST') {
        const [status, body] = await devTokenResponse(req, secret);
        return json(status, body, CORS);
      }
    }
    if (requestHandler) return requestHandler(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });

  // Sockets per address are counted on the raw TCP connection, before any
  // HTTP parsing: half-sent upgrade requests cannot exhaust descriptors.
  const perAddress = new Map();
  server.on('connection', (socket) => {
    const addr = socket.remoteAddress ?? 'unknown';
    const open = perAddress.get(addr) ?? 0;
    if (open >= host.maxSocketsPerAddress) {
      socketsRefused++;
      socket.destroy();
      return;
    }
    perAddress.set(addr, open + 1);
    socket.once('close', () => {
      const left = (perAddress.get(addr) ?? 1) - 1;
      if (left > 0) perAddress.set(addr, left);
      else perAddress.delete(addr);
    });
  });

  // One reusable input buffer in wasm memory for every message.
  let inPtr = 0;
  let inCap = 0;
  const input = (bytes) => {
    if (bytes.length > inCap) {
      if (inPtr) m._free(inPtr);
      inCap = Math.max(bytes.length, 64 * 1024);
      inPtr = m._malloc(inCap);
    }
    m.HEAPU8.set(bytes, inPtr);
    return inPtr;
  };

  // With redis, this instance joins the others before it takes a client.
  const report = (err) => (onError ?? ((e) => console.error(`starling: hub: ${e.code ?? ''} ${e.message}`)))(err);
  try {
    if (opts.redis) {
      if (m._sl_hub_set(hub, SL_HUB_CLUSTER, 1) < 0) throw new StarlingError('INTERNAL', 'hub: cluster setting refused');
      cluster = await joinCluster({
        url: opts.redis, prefix: opts.redisPrefix, onError: report,
        hub: { m, ptr: hub, now, input, put: (text) => put(m, text), pump: schedulePump },
      });
    }
    await listen(server, host.port, host.host);
  } catch (err) {
    await cluster?.close();
    m._sl_hub_free(hub);
    m._free(slots);
    throw err;
  }

  const maxMessage = Number(opts.maxMessage ?? 65536);
  // Larger than the hub's own cap so oversize messages get the hub's
  // MESSAGE_TOO_LARGE error instead of a bare close from `ws`; before
  // authentication each socket's cap is PRE_AUTH_MAX_PAYLOAD.
  const maxPayload = 4 * Math.max(maxMessage, 16384 + 64);
  // After listen, server errors (an accept failing for lack of descriptors,
  // say) are reported, not thrown: the hub keeps serving what it can. ws
  // re-emits the same errors on wss, which needs a listener of its own.
  server.on('error', report);
  const wss = new WebSocketServer({ server, maxPayload });
  wss.on('error', () => {});
  // ws reads the cap per socket from its receiver; it has no public setter.
  const setMaxPayload = (ws, n) => { if (ws._receiver && '_maxPayload' in ws._receiver) ws._receiver._maxPayload = n; };

  wss.on('connection', (ws, req) => {
    if (failure) return ws.terminate();
    const ip = put(m, String(req.socket.remoteAddress ?? 'unknown'));
    const id = m._sl_hub_open(hub, ip, now());
    m._free(ip);
    if (id < 0) return ws.terminate();
    sockets.set(id, ws);
    let authenticated = false;
    setMaxPayload(ws, PRE_AUTH_MAX_PAYLOAD);
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data;
      const p = input(bytes);
      if (isBinary) m._sl_hub_binary(hub, id, p, bytes.length, now());
      else m._sl_hub_text(hub, id, p, bytes.length, now(), Date.now() / 1000);
      if (!authenticated && m._sl_hub_authenticated(hub, id)) {
        authenticated = true;
        setMaxPayload(ws, maxPayload);
        if (host.turn) awaitingTurn.add(id);
      }
      schedulePump();
    });
    ws.on('close', () => {
      pump(); // what was queued while this id still meant this socket (ids are reused)
      sockets.delete(id);
      awaitingTurn.delete(id);
      turnPeers.delete(id);
      m._sl_hub_closed(hub, id, now());
      pump();
    });
    ws.on('error', () => ws.terminate());
    pump();
  });

  const ticker = setInterval(() => { m._sl_hub_tick(hub, now()); pump(); }, host.tickMs);
  const turnRefresher = host.turn && setInterval(() => {
    for (const [id, peerId] of turnPeers) {
      const ws = sockets.get(id);
      if (ws?.readyState === 1) sendTurn(ws, peerId);
    }
  }, host.turn.ttlSeconds * 500);
  const bound = server.address().port;
  const shownHost = host.host.includes(':') ? `[${host.host}]` : host.host;
  let closed = false;
  return {
    url: `ws://${shownHost}:${bound}`,
    httpUrl: `http://${shownHost}:${bound}`,
    port: bound,
    metrics: metricsText,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      clearInterval(turnRefresher);
      await cluster?.close();
      for (const ws of sockets.values()) ws.terminate();
      await new Promise((ok) => wss.close(() => ok()));
      server.closeAllConnections?.();
      await new Promise((ok) => server.close(() => ok()));
      m._sl_hub_free(hub);
      m._free(slots);
      if (inPtr) m._free(inPtr);
    },
  };
}
