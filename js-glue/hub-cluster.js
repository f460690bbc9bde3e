// hub-cluster.js — several hub instances sharing rooms through Redis
// (startHub({ redis })). The C hub keeps the policy: the peers of the
// other instances appear in it as remote connections (sl_hub_remote_*),
// and what it addresses to them is carried here to their instance, which
// hands it to its own hub (sl_hub_deliver). This file only moves facts and
// bytes between the hub and Redis:
//   - the hub's cluster outputs about its own clients (up, joined, left,
//     down) are published on <prefix>:events and kept in a hash per
//     instance (<prefix>:instance:<id>, peer id -> {key, rooms}) that
//     expires unless the instance refreshes it, so a dead instance's
//     peers vanish from the others within INSTANCE_TTL_S;
//   - outputs for a remote connection go to <prefix>:to:<instance> as
//     [kind][to][from][payload] (kind 1 text, 2 binary); those of one
//     event-loop turn for one instance travel as one publish, a batch
//     [3]([u32 length][frame])*, so a busy hub pays Redis per turn, not
//     per message;
//   - every RESYNC_MS (and whenever Redis comes back) each instance
//     rewrites its own hash and reconciles its view of the others with
//     theirs, which repairs whatever pub/sub lost while Redis was away.
import { randomBytes } from 'node:crypto';
import { StarlingError } from './errors.js';

const INSTANCE_TTL_S = 15;
const RESYNC_MS = 5000;
const KIND = { TEXT: 1, BINARY: 2, BATCH: 3 };
const BATCH_MAX_BYTES = 256 * 1024; // a batch this big goes at once
/** enum sl_hub_output_kind: the cluster outputs (starling.h). */
export const CLUSTER_OUTPUT = { PEER_UP: 4, JOINED: 5, LEFT: 6, PEER_DOWN: 7, CONNECT_FROM: 8, AUTH_FROM: 9 };
const LOAD_FLUSH_MS = 100; // connects and auths per address are shared this often
export const SL_HUB_CLUSTER = 21; // enum sl_hub_setting

async function redisModule() {
  try {
    return await import('redis');
  } catch (err) {
    const e = new StarlingError('MISSING_DEPENDENCY', 'a hub on Redis needs the package "redis": npm install redis');
    e.cause = err;
    throw e;
  }
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64url');

/**
 * Connects to Redis and joins the cluster. `hub` is the host's handle on
 * the C hub: { m, ptr, now(), input(bytes) -> wasm pointer, put(string) ->
 * wasm pointer (caller frees), pump() }.
 */
export async function joinCluster({ url, prefix = 'starling', hub, onError }) {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) throw new StarlingError('INVALID_OPTION', `startHub: redis must be a redis:// or rediss:// URL (got ${String(url)})`);
  const { createClient } = await redisModule();
  const { m, ptr } = hub;
  const instance = randomBytes(8).toString('hex');
  const keyOf = (id) => `${prefix}:instance:${id}`;
  const channelOf = (id) => `${prefix}:to:${id}`;
  const events = `${prefix}:events`;
  const local = new Map();        // conn -> { peerId, pk, rooms }
  const localByPeer = new Map();  // peer id -> conn
  const remote = new Map();       // conn -> { peerId, instance, rooms }
  const remoteByPeer = new Map(); // peer id -> conn
  const stats = { published: 0, publishes: 0, received: 0, dropped: 0, resyncs: 0, redisErrors: 0 };
  let up = false;
  let closed = false;

  // Redis may go away at any time: commands then fail fast (no offline
  // queue) and the client reconnects in the background.
  // At start an unreachable Redis is an error (startHub rejects); once
  // connected, the client retries for as long as it takes.
  let started = false;
  const reconnectStrategy = (n, cause) => (started ? Math.min(100 * 2 ** n, 2000) : cause ?? new Error('unreachable'));
  const options = { url, disableOfflineQueue: true, socket: { reconnectStrategy, connectTimeout: 2000 } };
  const pub = createClient(options);
  const sub = pub.duplicate();
  const report = (err) => {
    stats.redisErrors++;
    if (up) onError?.(new StarlingError('REDIS_DOWN', `redis: ${err.message}`));
    up = false;
  };
  pub.on('error', report);
  sub.on('error', report);
  pub.on('ready', () => { up = true; resync(true).catch(report); });
  const quiet = (p) => p.catch(report);

  // ------------------------------------------------ our clients -> Redis
  const record = (c) => JSON.stringify({ k: b64(c.pk), r: [...c.rooms], t: Date.now() });
  function announce(type, c, room) {
    if (!up || closed) return; // the next resync republishes everything
    flushOutbox(); // what our client sent first goes first: after its 'leave' or 'down' it would be refused
    const field = keyOf(instance);
    if (type === 'down') quiet(pub.hDel(field, c.peerId));
    else quiet(pub.hSet(field, c.peerId, record(c)));
    quiet(pub.publish(events, JSON.stringify({ t: type, i: instance, p: c.peerId, k: b64(c.pk), r: room })));
  }

  // Connects and auth attempts per address, summed and shared every
  // LOAD_FLUSH_MS: the other instances' hubs take them from their buckets
  // for the address (sl_hub_remote_load), so its limits are the cluster's.
  const load = new Map(); // address -> [connects, auths]
  let loadTimer = 0;
  function countLoad(kind, bytes) {
    const ip = Buffer.from(bytes).toString();
    const n = load.get(ip) ?? [0, 0];
    n[kind === CLUSTER_OUTPUT.CONNECT_FROM ? 0 : 1]++;
    load.set(ip, n);
    loadTimer ||= setTimeout(flushLoad, LOAD_FLUSH_MS);
  }
  function flushLoad() {
    loadTimer = 0;
    if (!up || closed || !load.size) return load.clear();
    const a = Object.fromEntries(load);
    load.clear();
    quiet(pub.publish(events, JSON.stringify({ t: 'load', i: instance, a })));
  }
  function applyLoad(a) {
    if (!a || typeof a !== 'object') return;
    for (const [ip, n] of Object.entries(a)) {
      if (!Array.isArray(n) || ip.length > 63) continue;
      const [connects, auths] = n.map((x) => (Number.isInteger(x) && x > 0 ? Math.min(x, 1e6) : 0));
      withString(ip, (p) => m._sl_hub_remote_load(ptr, p, connects, auths, hub.now()));
    }
    hub.pump();
  }

  function localEvent(kind, conn, bytes) {
    if (kind === CLUSTER_OUTPUT.CONNECT_FROM || kind === CLUSTER_OUTPUT.AUTH_FROM) return countLoad(kind, bytes);
    if (kind === CLUSTER_OUTPUT.PEER_UP) {
      const c = { pk: Buffer.from(bytes.subarray(0, 32)), peerId: Buffer.from(bytes.subarray(32)).toString(), rooms: new Set() };
      local.set(conn, c);
      localByPeer.set(c.peerId, conn);
      announce('up', c);
      return;
    }
    const c = local.get(conn);
    if (!c) return;
    if (kind === CLUSTER_OUTPUT.PEER_DOWN) {
      local.delete(conn);
      if (localByPeer.get(c.peerId) === conn) localByPeer.delete(c.peerId);
      announce('down', c);
      return;
    }
    const room = Buffer.from(bytes).toString();
    if (kind === CLUSTER_OUTPUT.JOINED) c.rooms.add(room);
    else c.rooms.delete(room);
    announce(kind === CLUSTER_OUTPUT.JOINED ? 'join' : 'leave', c, room);
  }

  /** An output of the hub for remote connection `conn`, on behalf of our client `from`. */
  function carry(conn, from, binary, bytes) {
    const target = remote.get(conn);
    const sender = local.get(from);
    if (!target || !sender || !up || closed) {
      stats.dropped++;
      return;
    }
    const to = Buffer.from(target.peerId);
    const by = Buffer.from(sender.peerId);
    const frame = Buffer.concat([Buffer.from([binary ? KIND.BINARY : KIND.TEXT, to.length]), to, Buffer.from([by.length]), by, bytes]);
    let box = outbox.get(target.instance);
    if (!box) outbox.set(target.instance, (box = { frames: [], bytes: 0 }));
    box.frames.push(frame);
    box.bytes += 4 + frame.length;
    if (box.bytes >= BATCH_MAX_BYTES) flushTo(target.instance, box);
    else flushing ||= setImmediate(flushOutbox);
  }

  // Frames for each instance, gathered over one event-loop turn.
  const outbox = new Map(); // instance -> { frames, bytes }
  let flushing = null;
  function flushTo(inst, box) {
    outbox.delete(inst);
    if (!up || closed) {
      stats.dropped += box.frames.length;
      return;
    }
    stats.published += box.frames.length;
    stats.publishes++;
    if (box.frames.length === 1) return quiet(pub.publish(channelOf(inst), box.frames[0]));
    const batch = Buffer.allocUnsafe(1 + box.bytes);
    batch[0] = KIND.BATCH;
    let at = 1;
    for (const f of box.frames) {
      batch.writeUInt32BE(f.length, at);
      f.copy(batch, at + 4);
      at += 4 + f.length;
    }
    quiet(pub.publish(channelOf(inst), batch));
  }
  function flushOutbox() {
    clearImmediate(flushing);
    flushing = null;
    for (const [inst, box] of outbox) flushTo(inst, box);
  }

  // --------------------------------------------- the others -> our hub
  function withString(s, fn) {
    const p = hub.put(s);
    try { return fn(p); } finally { m._free(p); }
  }

  function ensureRemote(peerId, pkText, inst) {
    const conn0 = remoteByPeer.get(peerId);
    if (conn0) {
      const r = remote.get(conn0);
      if (r.instance !== inst) { // it moved: its relay paths through here end, to be reopened
        r.instance = inst;
        m._sl_hub_remote_moved(ptr, conn0);
        hub.pump();
      }
      return conn0;
    }
    let conn;
    const pk = Buffer.from(pkText ?? '', 'base64url');
    if (pk.length !== 32) return 0;
    const p = hub.input(pk);
    conn = m._sl_hub_remote_open(ptr, p, hub.now());
    if (conn <= 0) return 0;
    // A local client with this identity was replaced: the hub closed it.
    remote.set(conn, { peerId, instance: inst, rooms: new Set() });
    remoteByPeer.set(peerId, conn);
    hub.pump();
    return conn;
  }

  function setRooms(conn, rooms) {
    const r = remote.get(conn);
    for (const room of [...r.rooms]) {
      if (rooms.has(room)) continue;
      withString(room, (p) => m._sl_hub_remote_leave(ptr, conn, p, hub.now()));
      r.rooms.delete(room);
    }
    for (const room of rooms) {
      if (r.rooms.has(room)) continue;
      if (withString(room, (p) => m._sl_hub_remote_join(ptr, conn, p, hub.now())) === 0) r.rooms.add(room);
    }
    hub.pump();
  }

  /** The hub closed a remote connection itself (its identity logged in here). */
  function closedByHub(conn) {
    const r = remote.get(conn);
    if (!r) return false;
    remote.delete(conn);
    if (remoteByPeer.get(r.peerId) === conn) remoteByPeer.delete(r.peerId);
    m._sl_hub_closed(ptr, conn, hub.now());
    return true;
  }

  /** A remote peer is gone (its instance said so, or a resync no longer lists it). */
  function dropRemote(conn) {
    if (closedByHub(conn)) hub.pump();
  }

  function onEvent(text) {
    let e;
    try { e = JSON.parse(text); } catch { return; }
    if (!e || e.i === instance) return;
    if (e.t === 'load') return applyLoad(e.a);
    if (typeof e.p !== 'string') return;
    stats.received++;
    if (e.t === 'down') {
      const conn = remoteByPeer.get(e.p);
      if (conn && remote.get(conn).instance === e.i) dropRemote(conn);
      return;
    }
    const conn = ensureRemote(e.p, e.k, e.i);
    if (!conn || typeof e.r !== 'string') return;
    const rooms = new Set(remote.get(conn).rooms);
    if (e.t === 'join') rooms.add(e.r);
    else if (e.t === 'leave') rooms.delete(e.r);
    setRooms(conn, rooms);
  }

  function onDirect(buf) {
    if (buf[0] !== KIND.BATCH) {
      deliver(buf);
      return hub.pump();
    }
    for (let at = 1; at < buf.length;) {
      const len = at + 4 <= buf.length ? buf.readUInt32BE(at) : Infinity;
      if (at + 4 + len > buf.length) { // cut short: the rest is lost, and counted
        stats.dropped++;
        break;
      }
      deliver(buf.subarray(at + 4, at + 4 + len));
      at += 4 + len;
    }
    hub.pump();
  }

  /** One frame [kind][to][from][payload] to our client `to`. */
  function deliver(buf) {
    stats.received++;
    if (buf.length < 3) return;
    const toLen = buf[1];
    const byLen = buf[2 + toLen];
    if (buf.length < 3 + toLen + byLen) return;
    const toPeer = buf.subarray(2, 2 + toLen).toString();
    const byPeer = buf.subarray(3 + toLen, 3 + toLen + byLen).toString();
    const payload = buf.subarray(3 + toLen + byLen);
    const to = localByPeer.get(toPeer);
    const from = remoteByPeer.get(byPeer);
    if (!to || !from) {
      stats.dropped++;
      return;
    }
    const p = hub.input(payload);
    m._sl_hub_deliver(ptr, from, to, buf[0] === KIND.BINARY ? 1 : 0, p, payload.length, hub.now());
  }

  // ------------------------------------------------------------ resync
  async function resync(full) {
    if (!up || closed) return;
    stats.resyncs++;
    const own = keyOf(instance);
    if (full) {
      const fields = {};
      for (const c of local.values()) fields[c.peerId] = record(c);
      await pub.del(own);
      if (local.size) await pub.hSet(own, fields);
      else await pub.hSet(own, '_', '{}');
    }
    await pub.expire(own, INSTANCE_TTL_S);
    // A peer that moved (its instance died) is listed by the dead
    // instance until its hash expires, and by its new one, perhaps before
    // it re-joined its rooms there: the newest record names the instance,
    // the union of rooms keeps it a member meanwhile, so nobody sees it
    // leave and come back.
    const found = new Map(); // peer id -> { k, inst, t, rooms }
    for await (const keys of pub.scanIterator({ MATCH: `${prefix}:instance:*`, COUNT: 100 })) {
      for (const key of [].concat(keys)) {
        const inst = key.slice(`${prefix}:instance:`.length);
        if (inst === instance) continue;
        const peers = await pub.hGetAll(key);
        for (const [peerId, json] of Object.entries(peers)) {
          if (peerId === '_' || localByPeer.has(peerId)) continue; // ours now: stale elsewhere
          let rec;
          try { rec = JSON.parse(json); } catch { continue; }
          const f = found.get(peerId) ?? { t: -Infinity, rooms: new Set() };
          for (const room of Array.isArray(rec.r) ? rec.r : []) if (typeof room === 'string') f.rooms.add(room);
          if ((Number(rec.t) || 0) >= f.t) Object.assign(f, { k: rec.k, inst, t: Number(rec.t) || 0 });
          found.set(peerId, f);
        }
      }
    }
    const seen = new Set();
    for (const [peerId, f] of found) {
      const conn = ensureRemote(peerId, f.k, f.inst);
      if (!conn) continue;
      seen.add(conn);
      setRooms(conn, f.rooms);
    }
    for (const conn of [...remote.keys()]) if (!seen.has(conn)) dropRemote(conn);
  }

  try {
    await pub.connect();
    await sub.connect();
    await sub.subscribe(events, onEvent);
    await sub.subscribe(channelOf(instance), onDirect, true);
  } catch (err) {
    for (const client of [sub, pub]) { try { client.destroy(); } catch { /* never opened */ } }
    const e = new StarlingError('REDIS_UNREACHABLE', `cannot reach redis at ${url}: ${err.message}`);
    e.cause = err;
    throw e;
  }
  started = true;
  up = pub.isReady;
  await resync(true);
  const timer = setInterval(() => { resync(false).catch(report); }, RESYNC_MS);
  timer.unref?.();

  return {
    instance,
    localEvent,
    carry,
    closedByHub,
    isRemote: (conn) => remote.has(conn),
    get up() { return up && pub.isReady; },
    status() { return { redis: up && pub.isReady ? 'ok' : 'down', instance, remotePeers: remote.size }; },
    metricsText() {
      return `# HELP starling_hub_redis_up 1 while this instance reaches Redis.\n# TYPE starling_hub_redis_up gauge\nstarling_hub_redis_up ${this.up ? 1 : 0}\n`
        + `# HELP starling_hub_cluster_published_total Messages sent to peers on other instances.\n# TYPE starling_hub_cluster_published_total counter\nstarling_hub_cluster_published_total ${stats.published}\n`
        + `# HELP starling_hub_cluster_publishes_total Publishes that carried them (one batch per instance per event-loop turn).\n# TYPE starling_hub_cluster_publishes_total counter\nstarling_hub_cluster_publishes_total ${stats.publishes}\n`
        + `# HELP starling_hub_cluster_received_total Cluster messages received from Redis.\n# TYPE starling_hub_cluster_received_total counter\nstarling_hub_cluster_received_total ${stats.received}\n`
        + `# HELP starling_hub_cluster_dropped_total Cluster messages dropped (Redis down, or peer unknown).\n# TYPE starling_hub_cluster_dropped_total counter\nstarling_hub_cluster_dropped_total ${stats.dropped}\n`;
    },
    async close() {
      flushOutbox();
      closed = true;
      clearInterval(timer);
      clearTimeout(loadTimer);
      if (up) {
        // Leave at once instead of waiting for the hash to expire.
        await Promise.allSettled([pub.del(keyOf(instance)), ...[...local.values()].map((c) => pub.publish(events, JSON.stringify({ t: 'down', i: instance, p: c.peerId })))]);
      }
      // A graceful close waits for Redis; a Redis that is away gets a moment, then the sockets go.
      const graceful = up ? Promise.allSettled([sub.close(), pub.close()]) : Promise.resolve();
      await Promise.race([graceful, new Promise((ok) => setTimeout(ok, 1000).unref?.())]);
      for (const client of [sub, pub]) { try { client.destroy(); } catch { /* already closed */ } }
    },
  };
}
