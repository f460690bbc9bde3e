// discovery.js — peer discovery over gossip, as libp2p's pubsub peer
// discovery does it: every peer publishes Peer { publicKey, addrs } on
// "_peer-discovery._p2p._pubsub" when a link connects and every 10 s;
// what others publish fills a bounded peer store whose records expire
// after 90 s without a fresh announcement. The formats are checked in C
// (discovery-codec.js); an announcement must be signed by the peer it
// announces (its gossip author), so no peer can announce another.
// Each link also carries its peer's signed peer record once, which the
// router offers to others in peer exchange when it prunes them; records
// that arrive in peer exchange feed the same store.
import { DISCOVERY_TOPIC, encodeAnnouncement, decodeAnnouncement, sealPeerRecord, openPeerRecord } from './discovery-codec.js';

const ANNOUNCE_MS = 10000;
const TTL_MS = 90000;
const MAX_PEERS = 1000;
const SOON_MS = 1000; // after a link connects: a heartbeat, so its subscriptions are known

/** The multiaddrs of a peer reached through the hub at hubUrl: the relay
 * circuit through the hub, and WebRTC. (The hub has no peer id of its
 * own, so the circuit address carries no /p2p/<hub id> component.) */
export function addressesFor(hubUrl, peerId) {
  const out = [];
  try {
    const u = new URL(hubUrl);
    const secure = u.protocol === 'wss:';
    const port = u.port || (secure ? '443' : '80');
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const ip4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
    if (!host.includes(':')) out.push(`/${ip4 ? 'ip4' : 'dns4'}/${host}/tcp/${port}/${secure ? 'wss' : 'ws'}/p2p-circuit/p2p/${peerId}`);
  } catch { /* no usable hub address: WebRTC only */ }
  out.push(`/webrtc/p2p/${peerId}`);
  return out;
}

export class Discovery {
  #peer;
  #pubsub;
  #store = new Map(); // peer id -> { multiaddrs, via, expires }
  #timer = null;
  #soon = null;
  #ttlMs;
  #maxPeers;
  #record = null; // our own signed peer record, sealed once
  announced = 0;
  records = { received: 0, refused: 0 };

  constructor(peer, pubsub, { announceMs = ANNOUNCE_MS, ttlMs = TTL_MS, maxPeers = MAX_PEERS } = {}) {
    this.#peer = peer;
    this.#pubsub = pubsub;
    this.#ttlMs = ttlMs;
    this.#maxPeers = maxPeers;
    pubsub.subscribe(DISCOVERY_TOPIC);
    pubsub.addValidator(DISCOVERY_TOPIC, (msg) => this.#validate(msg));
    // The router's own event names the neighbour it came through (`peer`).
    pubsub.router.addEventListener('message', (e) => { if (e.detail.topic === DISCOVERY_TOPIC) this.#heard(e.detail); });
    pubsub.router.addEventListener('peer-exchange', (e) => this.#exchanged(e.detail));
    this.#timer = setInterval(() => { this.#expire(); this.announce(); }, announceMs);
    this.#timer.unref?.();
  }

  #validate(msg) {
    try {
      return decodeAnnouncement(msg.data).peerId === msg.from ? 'accept' : 'reject';
    } catch {
      return 'reject';
    }
  }

  #heard({ from, data, peer: via }) {
    if (from === this.#peer.peerId) return;
    let ann;
    try { ann = decodeAnnouncement(data); } catch { return; } // the validator refused it already
    this.found(ann.peerId, ann.multiaddrs, 'gossip', via);
  }

  /** Peer exchange: a pruning neighbour suggests peerId, with its signed
   * record when it had one (a record naming anyone else is refused). */
  #exchanged({ peerId, via, record }) {
    if (peerId === this.#peer.peerId) return;
    const multiaddrs = record?.length ? this.#open(record, peerId) : [];
    if (multiaddrs) this.found(peerId, multiaddrs, 'px', via);
  }

  /** The addresses of peerId's own signed record, or null (counted) when
   * it does not open or names someone else. */
  #open(envelope, peerId) {
    try {
      const r = openPeerRecord(envelope);
      if (r.peerId === peerId) return r.multiaddrs;
    } catch { /* counted below */ }
    this.records.refused++;
    return null;
  }

  /** @internal Our signed peer record (libp2p Envelope), sealed on first use. */
  ownRecord() {
    const p = this.#peer;
    this.#record ??= sealPeerRecord(p.identity, Date.now(), addressesFor(p.hubUrl, p.peerId));
    return this.#record;
  }

  /** @internal A neighbour's own record, sent once over its link: kept by
   * the router for peer exchange. False when it is not the neighbour's. */
  recordFrom(link, envelope) {
    if (!this.#open(envelope, link.remoteId)) return false;
    this.records.received++;
    link.peerRecord = envelope;
    this.#pubsub.setPeerRecord(link.remoteId, envelope);
    return true;
  }

  /** @internal A peer became known (from gossip, or met in a hub room). */
  found(peerId, multiaddrs, how, via) {
    const now = Date.now();
    const old = this.#store.get(peerId);
    if (!old && this.#store.size >= this.#maxPeers) this.#evictOldest();
    const rec = { multiaddrs, how: old?.how === 'hub' ? 'hub' : how, expires: now + this.#ttlMs, via: via ?? old?.via ?? null };
    this.#store.set(peerId, rec);
    if (!old || old.multiaddrs.join() !== multiaddrs.join()) {
      this.#peer.emit('peer:discovery', { peerId, multiaddrs, how: rec.how });
    }
  }

  /** A link connected: announce once its subscriptions have had a moment
   * to arrive (publishing at once would find no subscriber yet). */
  announceSoon() {
    if (this.#soon) return;
    this.#soon = setTimeout(() => { this.#soon = null; this.announce(); }, SOON_MS);
    this.#soon.unref?.();
  }

  /** Publishes our announcement (if anyone could hear it). */
  announce() {
    const p = this.#peer;
    const data = encodeAnnouncement(p.identity, addressesFor(p.hubUrl, p.peerId));
    this.#pubsub.publish(DISCOVERY_TOPIC, data).then(() => { this.announced++; }, () => { /* no peers yet */ });
  }

  #expire() {
    const now = Date.now();
    for (const [id, rec] of this.#store) if (rec.expires <= now) this.#store.delete(id);
  }

  #evictOldest() {
    let oldest = null;
    for (const [id, rec] of this.#store) if (!oldest || rec.expires < oldest[1].expires) oldest = [id, rec];
    if (oldest) this.#store.delete(oldest[0]);
  }

  /** The record of a discovered peer, or undefined. */
  get(peerId) {
    const rec = this.#store.get(peerId);
    return rec && rec.expires > Date.now() ? rec : undefined;
  }

  /** Discovered peers still fresh: { peerId, multiaddrs, how }. */
  list() {
    const now = Date.now();
    return [...this.#store].filter(([, r]) => r.expires > now).map(([peerId, r]) => ({ peerId, multiaddrs: [...r.multiaddrs], how: r.how }));
  }

  get size() { return this.#store.size; }

  close() {
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
  }
}
