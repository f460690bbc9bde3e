// peer.js — createPeer: meet peers through the hub and keep an end-to-end
// encrypted session with each, directly over WebRTC when possible and
// through the hub's relay otherwise (link.js, paths.js). This file owns the
// hub connection (reconnecting with backoff and re-joining rooms), routes
// hub events to links, and keeps the counters behind metrics().
import { connectHub } from './hub-client.js';
import { Identity } from './identity.js';
import { StarlingError } from './errors.js';
import { Link } from './link.js';
import { KIND } from './delivery.js';
import { PubSub } from './pubsub.js';
import { Discovery } from './discovery.js';
import { ConnectionManager } from './connections.js';
import { Market } from './market.js';
import { Trades } from './trades.js';
import { Tips } from './tips.js';
import { hex } from './core.js';
import { rtcPeerConnectionClass } from './platform-node.js';

const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000, 16000, 30000];
const RECONNECT_JITTER = 0.2;
const FRAME_PAYLOAD_MAX = 256 * 1024 - 5; // the frame cap less the DATA header
const PRESENCE_MAX = 1024;
const SIGNAL_MAX_BYTES = 16 * 1024;   // one SDP with candidates fits in a few KiB
const SIGNAL_TYPES = new Set(['connect', 'offer', 'answer', 'ice-candidate']);
const RECORD_MAX_BYTES = 4096;        // a neighbour's signed peer record (the router's cap)
const FORWARD_RATE = 20;              // signals forwarded per second per source ...
const FORWARD_BURST = 100;            // ... after a burst of this many
const DIAL_FORWARDERS = 3;            // neighbours a dial asks to forward
const MESH_PENDING_MAX = 32;          // links opened by mesh signalling, not yet connected
const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

const fromHex = (s) => (typeof s === 'string' && s.length % 2 === 0 && /^[0-9a-f]*$/.test(s)
  ? Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16)) : null);

const ICE_URL = /^(stun|stuns|turn|turns):[^\s]{1,256}$/;
const iceText = (v) => v === undefined || (typeof v === 'string' && v.length <= 512);
/** The hub's ice-servers payload as RTCIceServer entries, or null when it
 * is not one (at most 8 servers of at most 8 stun:/turn: URLs each). */
function iceServersFrom(payload) {
  const list = payload?.iceServers;
  if (!Array.isArray(list) || list.length > 8) return null;
  const out = [];
  for (const s of list) {
    const urls = typeof s?.urls === 'string' ? [s.urls] : s?.urls;
    if (!Array.isArray(urls) || urls.length === 0 || urls.length > 8 || !urls.every((u) => typeof u === 'string' && ICE_URL.test(u))) return null;
    if (!iceText(s.username) || !iceText(s.credential)) return null;
    out.push({ urls, ...(s.username !== undefined && { username: s.username, credential: s.credential }) });
  }
  return out;
}

/** hubUrl: one URL, or several hubs sharing rooms (on Redis) to move between. */
function hubUrlList(hubUrl) {
  const list = Array.isArray(hubUrl) ? hubUrl : [hubUrl];
  if (list.length === 0 || list.length > 16 || !list.every((u) => typeof u === 'string')) {
    throw new TypeError('hubUrl must be a URL string or an array of 1 to 16 of them');
  }
  return list;
}

/** A token option is a string or a function returning one (called on every (re)connect). */
async function resolveToken(token) {
  const t = typeof token === 'function' ? await token() : token;
  if (typeof t !== 'string') throw new TypeError('token must be a string or a function returning one');
  return t;
}

function positive(value, fallback, name) {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

/** A Starling peer: see createPeer() and docs/api.md for the events. */
export class Peer extends EventTarget {
  #opts;
  #links = new Map();       // peer id -> Link
  #byKey = new Map();       // hex Ed25519 key -> Link (relay frames name the source by key)
  #rooms = new Set();       // rooms joined, re-joined after a reconnect
  #closing = false;
  #closed = null; // the promise of close()
  #market;
  #reconnectTimer = 0;
  #buckets = new WeakMap(); // link -> { tokens, at }: its forwarding budget
  #ownIceServers;           // createPeer's iceServers
  #hubUrls;                 // createPeer's hubUrl, as a list
  #hubIndex;                // the one in use (or last tried)
  #hubIceServers = [];      // TURN servers and credentials the hub handed out (ice-servers)
  #stats = {
    signalsForwarded: 0, signalsRefused: 0, meshDials: 0,
    connectionsOpened: { direct: 0, turn: 0, relay: 0 }, setupMs: [], fallbacks: 0,
    messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0,
    relayBytesOut: 0, relayMessagesIn: 0, queueRejected: 0, queueDropped: 0, outOfOrder: 0, resent: 0,
    hubConnects: 1, hubDisconnects: 0,
  };

  /** @private use createPeer() */
  constructor(hub, opts, RTCPeerConnection) {
    super();
    this.#opts = opts;
    this.identity = opts.identity;
    this.peerId = opts.identity.peerId;
    this.#ownIceServers = opts.iceServers ?? [];
    this.iceTransportPolicy = opts.iceTransportPolicy ?? 'all';
    this.directTimeoutMs = positive(opts.directTimeoutMs, 10000, 'directTimeoutMs');
    this.directRetryMs = positive(opts.directRetryMs, 30000, 'directRetryMs');
    this.maxQueueBytes = positive(opts.maxQueueBytes, 8 * 1024 * 1024, 'maxQueueBytes');
    this.reconnectDelaysMs = opts.reconnectDelaysMs ?? RECONNECT_DELAYS_MS;
    this.absentTimeoutMs = positive(opts.absentTimeoutMs, 60000, 'absentTimeoutMs');
    this.#hubUrls = hubUrlList(opts.hubUrl);
    this.#hubIndex = Math.max(0, this.#hubUrls.indexOf(hub.url));
    /** Forward other peers' signalling between our links (default true). */
    this.forwardSignals = opts.forwardSignals !== false;
    this.RTCPeerConnection = RTCPeerConnection;
    this.presence = undefined;
    /** GossipSub over this peer's links (null with `gossip: false`). */
    this.pubsub = opts.gossip === false ? null : new PubSub(this, opts.gossip ?? {});
    /** Peers found through gossip and hub rooms (null without pubsub or with `discovery: false`). */
    this.discovery = this.pubsub && opts.discovery !== false ? new Discovery(this, this.pubsub, opts.discovery ?? {}) : null;
    /** Keeps connections between low and high water marks (null with `connections: false`). */
    this.connectionManager = opts.connections === false ? null : new ConnectionManager(this, opts.connections ?? {});
    this.#market = new Market(this);
    /** Trades on orders of this peer's books (docs/api.md, Trades): its wallet and storage come from createPeer's `wallet` and `trades`. */
    this.trades = new Trades(this, { ...opts.trades, wallet: opts.wallet ?? opts.trades?.wallet ?? null });
    /** Tip meta-transactions to and from connected peers (signed by the same `wallet`). */
    this.tips = new Tips(this, { ...opts.tips, wallet: opts.wallet ?? opts.tips?.wallet ?? null });
    this.#attach(hub);
  }

  /**
   * The orderbook of a pair ('BTC-USDT'), kept in step with every peer of
   * the pair (gossip deltas, reconciliation on connect and every 60 s).
   * The same book on later calls. Options: Orderbook's (limits, skewMs)
   * and sync: 'negentropy' (default) | 'snapshot'.
   */
  orderbook(pair, options) { return this.#market.book(pair, options); }

  /** The hub URL in use (or being retried). */
  get hubUrl() { return this.#hubUrls[this.#hubIndex]; }

  /** The ICE servers new direct paths use: createPeer's, then those the
   * hub handed out with short-lived TURN credentials (renewed while
   * connected). */
  get iceServers() { return [...this.#ownIceServers, ...this.#hubIceServers]; }

  /** @internal ids of the peers with a live link. */
  connectedPeers() {
    return [...this.#links.values()].filter((l) => l.everConnected && !l.closed).map((l) => l.remoteId);
  }

  /** @internal an ORDERBOOK frame from a link. */
  orderbookFrame(peerId, kind, payload) { this.#market.receive(peerId, kind, payload); }

  /** What this peer thinks of peerId: { score, refused, banned, counts } (from trades and orderbook faults). */
  reputation(peerId) { return this.trades.reputation.of(peerId); }

  /** @internal a trade or tip frame from a link. */
  tradeFrame(peerId, kind, payload) {
    // A copy: the payload may be a view of wasm memory, which the handlers' own allocations can move.
    const bytes = payload.slice();
    if (kind === 0x60) this.tips.receive(peerId, bytes);
    else this.trades.receive(peerId, kind, bytes);
  }

  /** @internal an order in one of our books: { order, message }, or null. */
  _findOrder(id) { return this.#market.findOrder(id); }

  /** @internal */ emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  // ------------------------------------------------------------------ hub

  #attach(hub) {
    this.hub = hub;
    if (hub.iceServers) this.#hubIceServers = iceServersFrom(hub.iceServers) ?? [];
    hub.addEventListener('signal', (e) => this.#onHubMessage(e.detail));
    hub.addEventListener('relay', (e) => this.#byKey.get(hex(e.detail.sourceKey))?.relay?.process(e.detail.record));
    hub.addEventListener('hub:error', (e) => this.#onHubError(e.detail));
    hub.addEventListener('hub:disconnect', (e) => this.#onHubLost(hub, e.detail));
  }

  #onHubMessage(msg) {
    const from = msg.from;
    switch (msg.type) {
      case 'peer-list': {
        // After a reconnect a missing peer may simply not be back yet: it
        // gets absentTimeoutMs to re-join before its link closes.
        const peers = new Set(msg.payload?.peers ?? []);
        for (const link of this.#links.values()) if (!peers.has(link.remoteId)) this.#left(link.remoteId, msg.room, this.absentTimeoutMs);
        for (const id of peers) this.#met(id, msg.room);
        break;
      }
      case 'peer-joined': this.#met(from, msg.room); break;
      case 'peer-left': this.#left(from, msg.room); break;
      case 'offer': case 'answer': case 'ice-candidate': {
        // Only the smaller id offers; an offer from someone we have not
        // met yet (its peer-joined may still be on the way) starts the link.
        let link = this.#links.get(from);
        if (!link && msg.type === 'offer' && from < this.peerId) link = this.#link(from);
        link?.onSignal(msg);
        break;
      }
      case 'relay-ready': (this.#links.get(from) ?? this.#link(from))?.onRelayReady(msg.payload?.sessionId); break;
      case 'ice-servers': this.#hubIceServers = iceServersFrom(msg.payload) ?? this.#hubIceServers; break;
      default: break;
    }
  }

  #onHubError(detail) {
    // RELAY_LIMIT names the other end of the path that ended (a hub that
    // names none ends them all): that relay path starts over.
    if (detail.code === 'RELAY_LIMIT') {
      for (const link of this.#links.values()) {
        if (link.relay && (!detail.peerId || detail.peerId === link.remoteId)) link.relay.fail(new StarlingError('RELAY_LIMIT', detail.message || 'relay path limit reached'));
      }
    }
    this.emit('hub:error', detail);
  }

  #onHubLost(hub, detail) {
    if (this.hub !== hub) return;
    this.#stats.hubDisconnects++;
    this.emit('hub:disconnect', { code: detail.code });
    for (const link of [...this.#links.values()]) link.hubLost();
    this.#reconnect(0);
  }

  /** Backoff 1, 2, 4, 8, 16, 30 s (±20 %), then every 30 s; re-auth and re-join. */
  #reconnect(step) {
    if (this.#closing) return;
    const base = this.reconnectDelaysMs[Math.min(step, this.reconnectDelaysMs.length - 1)];
    const delay = base * (1 - RECONNECT_JITTER + 2 * RECONNECT_JITTER * Math.random());
    // With several hubs, each attempt goes to the next one: the first to
    // the one after the hub that was lost.
    this.#hubIndex = (this.#hubIndex + 1) % this.#hubUrls.length;
    this.#reconnectTimer = setTimeout(async () => {
      let hub;
      try {
        hub = await connectHub({ ...this.#opts, hubUrl: this.hubUrl, token: await resolveToken(this.#opts.token) });
      } catch (err) {
        this.emit('hub:error', { code: err.code ?? 'HUB_UNREACHABLE', message: err.message });
        this.#reconnect(step + 1);
        return;
      }
      if (this.#closing) return hub.close();
      this.#stats.hubConnects++;
      this.#attach(hub);
      this.emit('hub:connect', { peerId: hub.peerId, reconnect: true });
      for (const room of this.#rooms) hub.join(room);
    }, delay);
  }

  // ---------------------------------------------------------------- links

  #link(remoteId, via = null) {
    let link;
    try { link = new Link(this, remoteId, via); } catch { return null; } // not a valid peer id
    this.#links.set(remoteId, link);
    this.#byKey.set(hex(link.remoteKey), link);
    return link;
  }

  #met(remoteId, room) {
    if (typeof remoteId !== 'string' || remoteId === this.peerId) return;
    const link = this.#links.get(remoteId) ?? this.#link(remoteId);
    if (!link) return;
    link.rooms.add(room);
    clearTimeout(link.absentTimer);
    if (this.discovery && !this.discovery.get(remoteId)) this.discovery.found(remoteId, [], 'hub');
    link.remotePresent();
  }

  /** A peer that shares no room with us any more and has no direct path
   * is gone, at once or after `graceMs` (re-meeting it cancels that). */
  #left(remoteId, room, graceMs = 0) {
    const link = this.#links.get(remoteId);
    if (!link?.rooms.has(room)) return;
    link.rooms.delete(room);
    if (link.rooms.size > 0) return;
    const gone = () => { if (link.rooms.size === 0 && link.active?.kind !== 'direct') link.close(new StarlingError('PEER_LEFT', 'the peer left')); };
    if (graceMs) link.absentTimer = setTimeout(gone, graceMs);
    else gone();
  }

  /** Joins a room (and re-joins it after every hub reconnect). */
  join(room) {
    this.#rooms.add(room);
    if (this.hub.open) this.hub.join(room);
  }

  /** Leaves a room. */
  leave(room) {
    this.#rooms.delete(room);
    if (this.hub.open) this.hub.leave(room);
    for (const link of [...this.#links.values()]) this.#left(link.remoteId, room);
  }

  /**
   * Sends a string or bytes (up to the 256 KiB frame cap less 5 bytes);
   * resolves once the receiver acknowledged it. Messages to a peer met but
   * not yet connected, or between paths, wait in a bounded queue
   * (`maxQueueBytes`, default 8 MiB per peer); `priority: 'high'` goes
   * before normal messages. Rejects with QUEUE_FULL when the queue is full
   * and with PEER_DISCONNECTED if the peer goes away first.
   */
  send(peerId, data, { priority = 'normal' } = {}) {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) return Promise.reject(new TypeError('data must be a string or Uint8Array'));
    const link = this.#links.get(peerId);
    if (!link) return Promise.reject(new StarlingError('PEER_NOT_CONNECTED', `no session with ${peerId}`));
    if (priority !== 'normal' && priority !== 'high') return Promise.reject(new TypeError("priority must be 'normal' or 'high'"));
    // Encoded once here; the link copies the bytes into its queue (in wasm)
    // before send() returns, so the caller may reuse its buffer at once.
    const isText = typeof data === 'string';
    const body = isText ? new TextEncoder().encode(data) : data;
    if (body.length > FRAME_PAYLOAD_MAX) return Promise.reject(new StarlingError('FRAME_TOO_LARGE', 'message exceeds the 256 KiB frame cap'));
    this.#stats.messagesOut++;
    return link.send(body, isText ? KIND.TEXT : KIND.BYTES, priority);
  }

  /** Sets this peer's presence status (a string ≤ 1 KiB) and tells every connected peer. */
  setPresence(status) {
    if (typeof status !== 'string' || new TextEncoder().encode(status).length > PRESENCE_MAX) throw new TypeError('status must be a string of at most 1 KiB');
    this.presence = status;
    const bytes = new TextEncoder().encode(status);
    for (const link of this.#links.values()) link.setPresence(bytes);
  }

  /** Peer ids with an open session, and the path each uses. */
  connections() {
    return [...this.#links.values()].filter((l) => l.active).map((l) => ({
      peerId: l.remoteId, path: l.active.route, ...(l.active.candidates && { candidates: { ...l.active.candidates } }),
    }));
  }

  /** @internal (tests) The link to peerId. */ _link(peerId) { return this.#links.get(peerId); }

  // ----------------------------------------------------- link callbacks

  // ------------------------------------------------------ mesh signalling

  /**
   * Connects to a peer without the hub: the offer, answer and candidates
   * travel as SIGNAL frames through connected peers that forward them
   * (the neighbour that passed on the peer's announcement first). Resolves
   * when the session is up; rejects with PEER_NOT_DISCOVERED when we know
   * no route, DIAL_TIMEOUT after timeoutMs (default directTimeoutMs * 2).
   */
  async dial(peerId, { timeoutMs = this.directTimeoutMs * 2 } = {}) {
    if (typeof peerId !== 'string' || peerId === this.peerId) throw new TypeError('peerId must be another peer\'s id');
    const existing = this.#links.get(peerId);
    if (existing?.active) return;
    const forwarders = this.#forwardersFor(peerId);
    if (!existing && !this.#hasRoom()) throw new StarlingError('CONNECTION_LIMIT', `already ${this.#links.size} links (connections.max)`);
    if (!existing && forwarders.length === 0) throw new StarlingError('PEER_NOT_DISCOVERED', `no connected peer can forward to ${peerId}`);
    const link = existing ?? this.#meshLink(peerId, forwarders[0]);
    if (!link) throw new StarlingError('PEER_ID_INVALID', 'not a peer id');
    this.#stats.meshDials++;
    link.via ??= forwarders[0] ?? null;
    const up = new Promise((resolve) => {
      const on = (e) => { if (e.detail.peerId === peerId) { this.removeEventListener('peer:connect', on); resolve(); } };
      this.addEventListener('peer:connect', on);
    });
    for (const f of forwarders) this.sendMeshSignal(f, peerId, 'connect', {});
    link.remotePresent();
    let timer;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new StarlingError('DIAL_TIMEOUT', `no session with ${peerId} after ${timeoutMs} ms`)), timeoutMs); });
    try { await Promise.race([up, late]); } finally { clearTimeout(timer); }
  }

  /** A link opened by mesh signalling: if it has not connected (and met
   * no one in a hub room) within twice the direct timeout, it closes, so
   * signals naming made-up peers cannot pile up links. */
  #meshLink(peerId, via) {
    const link = this.#link(peerId, via);
    if (!link) return null;
    link.meshTimer = setTimeout(() => {
      if (!link.everConnected && link.rooms.size === 0) link.close(new StarlingError('DIAL_TIMEOUT', 'mesh dial did not connect'));
    }, this.directTimeoutMs * 2);
    return link;
  }

  #hasRoom() { return this.connectionManager?.hasRoom(this.#links.size) ?? true; }

  #meshPending() {
    let n = 0;
    for (const l of this.#links.values()) if (l.meshTimer && !l.everConnected) n++;
    return n;
  }

  /** Connected neighbours to ask: the one that passed on the peer's
   * announcement first, then others, at most DIAL_FORWARDERS. */
  #forwardersFor(peerId) {
    const first = this.discovery?.get(peerId)?.via;
    const active = [...this.#links.values()].filter((l) => l.active && l.remoteId !== peerId).map((l) => l.remoteId);
    const order = first && active.includes(first) ? [first, ...active.filter((id) => id !== first)] : active;
    return order.slice(0, DIAL_FORWARDERS);
  }

  /** @internal one signalling message for `to`, through neighbour `via`. */
  sendMeshSignal(via, to, type, payload) {
    const link = this.#links.get(via);
    const body = textEncoder.encode(JSON.stringify({ to, type, payload }));
    if (body.length > SIGNAL_MAX_BYTES || !link?.sendQuiet(body, KIND.SIGNAL)) this.#stats.signalsRefused++;
  }

  /** @internal a SIGNAL frame from a connected peer: either for us
   * (`from` set by the neighbour that forwarded it) or for a peer of ours
   * (`to`), which we forward with `from` set to the sender's
   * authenticated id. Anything malformed, too large, too frequent or
   * without a route is dropped and counted. */
  meshSignal(link, bytes) {
    let msg = null;
    if (bytes.length <= SIGNAL_MAX_BYTES) {
      try { msg = JSON.parse(textDecoder.decode(bytes)); } catch { /* refused below */ }
    }
    const ok = msg && typeof msg === 'object' && SIGNAL_TYPES.has(msg.type) && (msg.payload === undefined || typeof msg.payload === 'object');
    if (msg?.type === 'record' && msg.to === undefined && msg.from === undefined) return this.#recordFrom(link, msg.payload);
    if (ok && typeof msg.to === 'string' && msg.from === undefined) return this.#forward(link, msg);
    if (ok && typeof msg.from === 'string' && msg.to === undefined) return this.#fromMesh(link, msg);
    this.#stats.signalsRefused++;
  }

  /** A neighbour's own signed peer record (once per link), for peer exchange. */
  #recordFrom(link, payload) {
    const envelope = fromHex(payload?.envelope);
    if (!this.discovery || link.peerRecord || !envelope || envelope.length > RECORD_MAX_BYTES || !this.discovery.recordFrom(link, envelope)) {
      this.#stats.signalsRefused++;
    }
  }

  #sendRecord(link) {
    const body = textEncoder.encode(JSON.stringify({ type: 'record', payload: { envelope: hex(this.discovery.ownRecord()) } }));
    link.sendQuiet(body, KIND.SIGNAL);
  }

  #forward(source, msg) {
    const target = this.#links.get(msg.to);
    if (!this.forwardSignals || !this.#spend(source) || !target?.active || target === source) {
      this.#stats.signalsRefused++;
      return;
    }
    const body = textEncoder.encode(JSON.stringify({ from: source.remoteId, type: msg.type, payload: msg.payload }));
    if (body.length <= SIGNAL_MAX_BYTES && target.sendQuiet(body, KIND.SIGNAL)) this.#stats.signalsForwarded++;
    else this.#stats.signalsRefused++;
  }

  /** A token bucket per source link. */
  #spend(link) {
    const now = performance.now();
    const b = this.#buckets.get(link) ?? { tokens: FORWARD_BURST, at: now };
    b.tokens = Math.min(FORWARD_BURST, b.tokens + ((now - b.at) / 1000) * FORWARD_RATE);
    b.at = now;
    this.#buckets.set(link, b);
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  #fromMesh(via, msg) {
    const from = msg.from;
    if (from === this.peerId || from === via.remoteId) { this.#stats.signalsRefused++; return; }
    let link = this.#links.get(from);
    if (!link && this.#meshPending() < MESH_PENDING_MAX && this.#hasRoom()) link = this.#meshLink(from, via.remoteId);
    if (!link) { this.#stats.signalsRefused++; return; } // not a peer id, or too many pending
    link.via = via.remoteId; // the route that reached us answers
    if (msg.type === 'connect') link.remotePresent();
    else link.onSignal(msg);
  }

  /** @internal */ countSent(n) { this.#stats.bytesOut += n; }
  /** @internal */ countRelayed(n) { this.#stats.relayBytesOut += n; }
  /** @internal */ countRejected() { this.#stats.queueRejected++; }
  /** @internal */ countDropped(n) { this.#stats.queueDropped += n; }
  /** @internal */ countOutOfOrder() { this.#stats.outOfOrder++; }
  /** @internal */ countResent(n) { this.#stats.resent += n; }
  /** @internal */ deliver(from, data, n, pathKind) {
    this.#stats.messagesIn++;
    this.#stats.bytesIn += n;
    if (pathKind === 'relay') this.#stats.relayMessagesIn++;
    this.emit('message', { from, data });
  }
  /** @internal */ connected(link, path, setupMs) {
    this.#stats.setupMs.push(setupMs);
    this.pubsub?.peerUp(link);
    if (this.discovery) {
      this.#sendRecord(link);
      this.discovery.announceSoon();
    }
    this.emit('peer:connect', { peerId: link.remoteId, path });
    this.trades.peerUp(link.remoteId);
  }
  /** @internal */ pathChanged(link) {
    const path = link.active?.route ?? null;
    if (path) this.#stats.connectionsOpened[path]++;
    if (path === 'relay') this.#stats.fallbacks++;
    this.emit('connection:path', { peerId: link.remoteId, path });
  }
  /** @internal */ pathError(link, path, err) {
    this.emit('peer:error', { peerId: link.remoteId, path: path.kind, code: err?.code ?? 'ERROR', message: err?.message });
  }
  /** @internal */ disconnected(link, reason) {
    if (this.#links.get(link.remoteId) !== link) return;
    this.#links.delete(link.remoteId);
    this.#byKey.delete(hex(link.remoteKey));
    if (link.everConnected) this.pubsub?.peerDown(link);
    if (link.everConnected) this.emit('peer:disconnect', { peerId: link.remoteId, reason: reason?.code });
  }

  /** Counters: connections by path, setup times, traffic, relay use, queue. */
  metrics() {
    const s = this.#stats;
    const links = [...this.#links.values()];
    const on = (route) => links.filter((l) => l.active?.route === route).length;
    return {
      connections: { direct: on('direct'), turn: on('turn'), relay: on('relay'), pending: links.filter((l) => !l.active).length },
      connectionsOpened: { ...s.connectionsOpened },
      setupMs: [...s.setupMs],
      messagesIn: s.messagesIn, messagesOut: s.messagesOut, bytesIn: s.bytesIn, bytesOut: s.bytesOut,
      relay: { fallbacks: s.fallbacks, bytesOut: s.relayBytesOut, messagesIn: s.relayMessagesIn },
      queue: { heldBytes: links.reduce((n, l) => n + l.heldBytes, 0), rejected: s.queueRejected, dropped: s.queueDropped },
      outOfOrder: s.outOfOrder,
      resent: s.resent,
      hub: { connected: !!this.hub.open, connects: s.hubConnects, disconnects: s.hubDisconnects },
      gossip: this.pubsub?.metrics() ?? null,
      discovery: this.discovery ? { peers: this.discovery.size, announced: this.discovery.announced, records: { ...this.discovery.records } } : null,
      signalling: { forwarded: s.signalsForwarded, refused: s.signalsRefused, meshDials: s.meshDials },
      connectionManager: this.connectionManager ? { ...this.connectionManager.stats } : null,
    };
  }

  /**
   * Leaves: first acknowledges what was delivered and waits up to
   * `timeoutMs` (default 500) for the other ends to acknowledge what was
   * sent, then says goodbye and closes every path and the hub connection.
   * Sends still unacknowledged then reject with PEER_CLOSED.
   */
  close({ timeoutMs = 500 } = {}) {
    this.#closed ??= this.#close(timeoutMs);
    return this.#closed;
  }

  async #close(timeoutMs) {
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    this.connectionManager?.close(); // no dials or prunes while we leave
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) timeoutMs = 500;
    await Promise.all([...this.#links.values()].map((link) => link.settle(timeoutMs)));
    await Promise.all([...this.#links.values()].map((link) => link.leave(timeoutMs)));
    for (const link of [...this.#links.values()]) link.close(new StarlingError('PEER_CLOSED', 'peer closed'));
    this.#market.close();
    this.trades.close();
    this.tips.close();
    this.discovery?.close();
    this.pubsub?.close();
    this.hub.close(); // idempotent
  }
}

/**
 * Connects to the hub and returns a Peer. Rejects like connectHub().
 * @param {import('./index.d.ts').CreatePeerOptions} opts
 */
export async function createPeer(opts) {
  if (!(opts?.identity instanceof Identity)) throw new TypeError('identity must be an Identity');
  const RTCPeerConnection = opts.RTCPeerConnection ?? (await rtcPeerConnectionClass());
  const urls = hubUrlList(opts.hubUrl);
  // The first hub that answers; the peer moves to the others when it goes.
  let hub;
  for (const [i, hubUrl] of urls.entries()) {
    try {
      hub = await connectHub({ ...opts, hubUrl, token: await resolveToken(opts.token) });
      break;
    } catch (err) {
      if (i === urls.length - 1 || !['HUB_UNREACHABLE', 'HUB_CLOSED', 'HUB_TIMEOUT'].includes(err.code)) throw err;
    }
  }
  try {
    return new Peer(hub, opts, RTCPeerConnection);
  } catch (err) {
    hub.close(); // a bad option: leave no connection behind
    throw err;
  }
}
