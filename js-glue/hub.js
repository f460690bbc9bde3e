// hub.js — hosts the C hub (dist/starling_hub.wasm) in Node: an HTTP
// server for /health, /metrics and (dev only) /dev/token, and a `ws`
// WebSocket server whose events are fed to the hub's state machine. All
// policy lives in C (src/hub/hub.c); this file only moves bytes.
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { WebSocketServer } from 'ws';
import createStarlingHub from '../dist/starling_hub.mjs';
import { StarlingError } from './errors.js';
import { getRandomValue } from './random.js';

/** Limits and timers, by option name -> enum sl_hub_setting. */
const SETTINGS = {
  maxMessage: 1, maxRoomsPerClient: 2, maxPeersPerRoom: 3, maxConnections: 4, authTimeoutMs: 5,
  pingIntervalMs: 6, staleMs: 7, messageRate: 8, messageBurst: 9, connectRate: 10, connectBurst: 11,
  authRate: 12, authBurst: 13, relayMaxBytes: 14, relayMaxMs: 15, jwtSkewSeconds: 16, relayRate: 17, relayBurst: 18,
};
/** enum sl_hub_output_kind: 1 text, 2 binary, 3 close. */
const SEND_BINARY = 2;
const CLOSE = 3;

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

function configure(m, hub, opts) {
  for (const [name, id] of Object.entries(SETTINGS)) {
    if (opts[name] === undefined) continue;
    const rc = m._sl_hub_set(hub, id, Number(opts[name]));
    if (rc < 0) throw new RangeError(`startHub: invalid ${name} (${opts[name]})`);
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
  } else if (opts.jwtSecret) {
    const secret = typeof opts.jwtSecret === 'string' ? new TextEncoder().encode(opts.jwtSecret) : opts.jwtSecret;
    if (secret.length < 32) throw new RangeError('jwtSecret must be at least 32 bytes');
    setBytes('_sl_hub_set_jwt_hs256', secret, 'jwtSecret');
  } else {
    throw new TypeError('startHub needs jwtSecret (HS256) or jwtPublicKey (EdDSA)');
  }
  for (const [key, fn] of [['audience', '_sl_hub_set_jwt_audience'], ['issuer', '_sl_hub_set_jwt_issuer']]) {
    if (!opts[key]) continue;
    const p = put(m, String(opts[key]));
    const rc = m[fn](hub, p);
    m._free(p);
    if (rc < 0) fail(m, rc, key);
  }
}

/** HS256 token for the dev endpoint (never enabled unless `dev: true`). */
function devToken(secret, { publicKey, userId = 'dev' }, ttlSeconds = 3600) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ userId, publicKey, exp: Math.floor(Date.now() / 1000) + ttlSeconds })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/**
 * Starts a hub. Resolves to { url, httpUrl, port, close() }; `url` is what
 * peers pass as hubUrl.
 * @param {object} opts  port, host, jwtSecret | jwtPublicKey, audience, issuer,
 *   tickMs, dev, requestHandler, and the limits in SETTINGS.
 */
export async function startHub(opts = {}) {
  const { port = 0, host = '127.0.0.1', tickMs = 1000, dev = false, requestHandler } = opts;
  const m = await loadHub();
  const slots = m._malloc(32);
  let rc = m._sl_hub_new(slots);
  if (rc < 0) fail(m, rc, 'hub');
  const hub = m.HEAPU32[slots >> 2];
  try {
    configure(m, hub, opts);
  } catch (err) {
    m._sl_hub_free(hub);
    throw err;
  }
  const secret = dev && opts.jwtSecret ? opts.jwtSecret : null;
  const sockets = new Map(); // connection id -> ws
  const now = () => performance.now();
  const started = Date.now();

  // Outputs are written in batches: every socket that gets something is
  // corked for the batch, so a burst of messages for one destination (ICE
  // candidates, relay records) leaves in one write instead of one syscall
  // per message. `_socket` is ws's net.Socket; cork/uncork nest.
  const corked = new Set();
  function pump() {
    pumpScheduled = false;
    while (m._sl_hub_next_output(hub, slots)) {
      const w = slots >> 2;
      const [conn, kind, data, len, code] = m.HEAPU32.subarray(w, w + 5);
      const ws = sockets.get(conn);
      if (!ws) continue;
      if (kind === CLOSE) {
        ws.close(code);
        continue;
      }
      if (!corked.has(ws)) {
        ws._socket?.cork();
        corked.add(ws);
      }
      ws.send(m.HEAPU8.slice(data, data + len), { binary: kind === SEND_BINARY });
    }
    for (const ws of corked) ws._socket?.uncork();
    corked.clear();
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
    return text;
  }

  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://hub').pathname;
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ status: 'ok', connections: sockets.size, uptimeSeconds: Math.round((Date.now() - started) / 1000) }));
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(metricsText());
    }
    if (path === '/dev/token' && secret && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) { body += chunk; if (body.length > 4096) break; }
      try {
        const { publicKey, userId } = JSON.parse(body);
        if (typeof publicKey !== 'string' || Buffer.from(publicKey, 'base64url').length !== 32) throw new Error('publicKey');
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ token: devToken(secret, { publicKey, userId }) }));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: 'POST {"publicKey": base64url 32 bytes, "userId"?: string}' }));
      }
    }
    if (requestHandler) return requestHandler(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });

  const maxMessage = Number(opts.maxMessage ?? 65536);
  // Larger than the hub's own cap so oversize messages get the hub's
  // MESSAGE_TOO_LARGE error instead of a bare close from `ws`.
  const wss = new WebSocketServer({ server, maxPayload: 4 * Math.max(maxMessage, 16384 + 64) });
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

  wss.on('connection', (ws, req) => {
    const ip = put(m, String(req.socket.remoteAddress ?? 'unknown'));
    const id = m._sl_hub_open(hub, ip, now());
    m._free(ip);
    if (id < 0) return ws.terminate();
    sockets.set(id, ws);
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data;
      const p = input(bytes);
      if (isBinary) m._sl_hub_binary(hub, id, p, bytes.length, now());
      else m._sl_hub_text(hub, id, p, bytes.length, now(), Date.now() / 1000);
      schedulePump();
    });
    ws.on('close', () => {
      pump(); // what was queued while this id still meant this socket (ids are reused)
      sockets.delete(id);
      m._sl_hub_closed(hub, id, now());
      pump();
    });
    ws.on('error', () => ws.terminate());
    pump();
  });

  const ticker = setInterval(() => { m._sl_hub_tick(hub, now()); pump(); }, tickMs);
  await new Promise((ok, bad) => server.once('error', bad).listen(port, host, ok));
  const bound = server.address().port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
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

