// peer.js — createPeer: meet peers through the hub, open one reliable
// ordered WebRTC data channel per peer (the smaller peer id offers), run
// the Noise handshake over it with both DTLS fingerprints as the prologue,
// then carry frames in encrypted records. This file binds RTCPeerConnection
// and moves bytes; identity, Noise, records and frames are the C core.
//
// This is the direct path. Relay fallback, reconnect, resend across paths
// and the bounded priority queue are the next steps (issue #3).
import { connectHub } from './hub-client.js';
import { Identity } from './identity.js';
import { Handshake, RECORD_MAX_PLAINTEXT } from './noise.js';
import { encodeFrame, FrameDecoder, FrameType } from './frame.js';
import { StarlingError } from './errors.js';

const HIGH_WATER = 1024 * 1024; // bufferedAmount above this: wait for 'bufferedamountlow'
const LOW_WATER = 256 * 1024;

async function defaultRTCPeerConnection() {
  if (typeof globalThis.RTCPeerConnection === 'function') return globalThis.RTCPeerConnection;
  const { RTCPeerConnection } = await import('node-datachannel/polyfill');
  return RTCPeerConnection;
}

/** The DTLS fingerprint line of an SDP ("sha-256 AB:CD:…"). */
function fingerprint(sdp) {
  const m = /^a=fingerprint:(.+)$/m.exec(sdp ?? '');
  if (!m) throw new StarlingError('NO_FINGERPRINT', 'SDP carries no DTLS fingerprint');
  return m[1].trim();
}

const u32 = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const readU32 = (b, o = 0) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** One remote peer: its RTCPeerConnection, channel, Noise state and delivery. */
class Link {
  constructor(peer, remoteId, initiator) {
    this.peer = peer;
    this.remoteId = remoteId;
    this.initiator = initiator;
    this.pc = new peer.RTCPeerConnection({ iceServers: peer.iceServers, iceTransportPolicy: peer.iceTransportPolicy });
    this.handshake = null;
    this.session = null;
    this.decoder = new FrameDecoder();
    this.nextSeq = 1;      // our next DATA sequence number
    this.received = 0;     // highest in-order sequence delivered to the app
    this.pending = new Map(); // seq -> { resolve, reject }
    this.startedAt = performance.now();
    this.pc.onicecandidate = (e) => {
      if (e.candidate) peer.hub.signal('ice-candidate', remoteId, { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid });
    };
    this.pc.onconnectionstatechange = () => {
      if (['failed', 'closed'].includes(this.pc.connectionState)) this.close(new StarlingError('PATH_CLOSED', `connection ${this.pc.connectionState}`));
    };
    if (initiator) {
      this.attach(this.pc.createDataChannel('starling', { ordered: true }));
      this.offer().catch((err) => this.close(err));
    } else {
      this.pc.ondatachannel = (e) => this.attach(e.channel);
    }
  }

  async offer() {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.peer.hub.signal('offer', this.remoteId, { type: 'offer', sdp: this.pc.localDescription.sdp });
  }

  /** Signals are applied one at a time, in arrival order: a candidate must
   * not reach addIceCandidate before the description it belongs to. */
  onSignal(msg) {
    this.signals = (this.signals ?? Promise.resolve()).then(() => this.applySignal(msg));
    return this.signals;
  }

  async applySignal(msg) {
    const p = msg.payload ?? {};
    if (msg.type === 'offer' && !this.initiator) {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: p.sdp });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      this.peer.hub.signal('answer', this.remoteId, { type: 'answer', sdp: this.pc.localDescription.sdp });
    } else if (msg.type === 'answer' && this.initiator) {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: p.sdp });
    } else if (msg.type === 'ice-candidate' && typeof p.candidate === 'string') {
      // One unusable candidate is not a reason to drop the path.
      await this.pc.addIceCandidate({ candidate: p.candidate, sdpMid: p.sdpMid ?? '0' }).catch(() => {});
    }
  }

  // Roles: the offerer creates the channel; the answerer receives it and
  // is the Noise initiator. That way the first handshake message always
  // travels towards the channel its creator has listened on from the
  // start, so no implementation can drop it for want of a listener.
  attach(channel) {
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    channel.onmessage = (e) => this.onRecord(new Uint8Array(e.data));
    channel.onclose = () => this.close(new StarlingError('PATH_CLOSED', 'data channel closed'));
    if (!this.initiator) {
      const start = () => this.afterSignals(() => this.startHandshake());
      if (channel.readyState === 'open') start();
      else channel.onopen = start;
    }
  }

  /** Runs fn once every signal received so far has been applied: 'open' or
   * a first record can arrive before setRemoteDescription() resolved. */
  afterSignals(fn) {
    return (this.signals ?? Promise.resolve()).then(fn).catch((err) => this.close(err));
  }

  /** The prologue binds the path: both DTLS fingerprints, sorted. */
  prologue() {
    return [fingerprint(this.pc.localDescription?.sdp), fingerprint(this.pc.remoteDescription?.sdp)].sort().join('|');
  }

  startHandshake() {
    if (this.handshake || this.session || this.closed) return;
    this.handshake = new Handshake({ identity: this.peer.identity, initiator: !this.initiator, prologue: this.prologue(), remotePeerId: this.remoteId });
    if (this.handshake.wantsWrite) this.channel.send(this.handshake.writeMessage());
  }

  /** Records are processed one at a time, in order, after pending signals. */
  onRecord(bytes) {
    this.rx = (this.rx ?? this.afterSignals(() => {})).then(() => this.processRecord(bytes)).catch((err) => this.close(err));
  }

  processRecord(bytes) {
    if (this.closed) return;
    if (!this.session) return this.onHandshakeMessage(bytes);
    for (const frame of this.decoder.push(this.session.decrypt(bytes))) this.onFrame(frame);
  }

  onHandshakeMessage(bytes) {
    if (!this.handshake) this.startHandshake(); // a message may beat our own 'open' event
    this.handshake.readMessage(bytes);
    if (this.handshake.wantsWrite) this.channel.send(this.handshake.writeMessage());
    if (this.handshake.complete) {
      this.session = this.handshake.split();
      this.handshake = null;
      this.wasConnected = true;
      this.peer.connected(this, performance.now() - this.startedAt);
    }
  }

  onFrame({ type, payload }) {
    if (type === FrameType.DATA && payload.length >= 5) {
      const seq = readU32(payload);
      if (seq <= this.received) return this.ack(); // a duplicate: acknowledge again, deliver once
      this.received = seq;
      const isText = payload[4] === 1;
      const body = payload.subarray(5);
      this.peer.deliver(this.remoteId, isText ? new TextDecoder().decode(body) : body.slice(), body.length);
      this.ack();
    } else if (type === FrameType.ACK && payload.length >= 4) {
      const upTo = readU32(payload);
      for (const [seq, p] of this.pending) if (seq <= upTo) { p.resolve(); this.pending.delete(seq); }
    }
  }

  ack() { this.enqueue([encodeFrame(FrameType.ACK, u32(this.received))]).catch(() => {}); }

  /** Every send goes through one chain: a large frame's records must not
   * interleave with another frame's while waiting for backpressure. */
  enqueue(frames) {
    this.tail = (this.tail ?? Promise.resolve()).then(() => this.sendFrames(frames));
    return this.tail;
  }

  /** Encrypts a frame stream into records of at most 16 KiB and sends them, honouring backpressure. */
  async sendFrames(frames) {
    for (const frame of frames) {
      for (let off = 0; off < frame.length; off += RECORD_MAX_PLAINTEXT) {
        if (this.channel.bufferedAmount > HIGH_WATER) await this.drained();
        if (!this.session) throw new StarlingError('PATH_CLOSED', 'path closed while sending');
        this.channel.send(this.session.encrypt(frame.subarray(off, off + RECORD_MAX_PLAINTEXT)));
      }
    }
  }

  /** Resolves once bufferedAmount fell to the low-water mark. Listens for
   * 'bufferedamountlow' and also polls, because not every implementation
   * (node-datachannel's polyfill among them) dispatches that event. */
  drained() {
    return new Promise((ok) => {
      let timer = 0;
      const done = () => {
        if (!timer) return;
        clearInterval(timer);
        timer = 0;
        ok();
      };
      timer = setInterval(() => { if (this.closed || this.channel.bufferedAmount <= LOW_WATER) done(); }, 10);
      this.channel.addEventListener?.('bufferedamountlow', done, { once: true });
    });
  }

  send(data) {
    const isText = typeof data === 'string';
    const body = isText ? new TextEncoder().encode(data) : data;
    const seq = this.nextSeq++;
    const payload = new Uint8Array(5 + body.length);
    payload.set(u32(seq));
    payload[4] = isText ? 1 : 0;
    payload.set(body, 5);
    const acked = new Promise((resolve, reject) => this.pending.set(seq, { resolve, reject }));
    this.enqueue([encodeFrame(FrameType.DATA, payload)]).catch((err) => this.pending.get(seq)?.reject(err));
    return acked.then(() => this.peer.countSent(body.length));
  }

  close(reason) {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(reason ?? new StarlingError('PATH_CLOSED', 'path closed'));
    this.pending.clear();
    try { this.channel?.close(); } catch { /* already closed */ }
    try { this.pc.close(); } catch { /* already closed */ }
    this.handshake?.free();
    this.session?.free();
    this.session = null;
    this.decoder.free();
    this.peer.disconnected(this, reason);
  }
}

/** A Starling peer: see createPeer(). Events: 'peer:connect', 'peer:disconnect',
 * 'peer:error' (a path failed before connecting), 'message', 'hub:error'. */
export class Peer extends EventTarget {
  #links = new Map();
  #stats = { connectionsDirect: 0, setupMs: [], messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };

  /** @private */
  constructor(hub, opts, RTCPeerConnection) {
    super();
    this.hub = hub;
    this.identity = opts.identity;
    this.peerId = opts.identity.peerId;
    this.iceServers = opts.iceServers ?? [];
    this.iceTransportPolicy = opts.iceTransportPolicy ?? 'all';
    this.RTCPeerConnection = RTCPeerConnection;
    hub.addEventListener('peer-list', (e) => e.detail.payload.peers.forEach((id) => this.#meet(id)));
    hub.addEventListener('peer-joined', (e) => this.#meet(e.detail.from));
    hub.addEventListener('signal', (e) => this.#onSignal(e.detail));
    hub.addEventListener('hub:error', (e) => this.dispatchEvent(new CustomEvent('hub:error', { detail: e.detail })));
  }

  /** The smaller peer id offers, so two peers never both offer. */
  #meet(remoteId) {
    if (!remoteId || remoteId === this.peerId || this.#links.has(remoteId)) return;
    if (this.peerId < remoteId) this.#links.set(remoteId, new Link(this, remoteId, true));
  }

  #onSignal(msg) {
    if (!['offer', 'answer', 'ice-candidate'].includes(msg.type) || !msg.from) return;
    let link = this.#links.get(msg.from);
    if (!link && msg.type === 'offer' && msg.from < this.peerId) {
      link = new Link(this, msg.from, false);
      this.#links.set(msg.from, link);
    }
    link?.onSignal(msg).catch((err) => link.close(err));
  }

  join(room) { this.hub.join(room); }
  leave(room) { this.hub.leave(room); }

  /** Sends a string or bytes (up to the 256 KiB frame cap, less 5 bytes of header); resolves when the receiver acknowledged. */
  send(peerId, data) {
    const link = this.#links.get(peerId);
    if (!link?.session) return Promise.reject(new StarlingError('PEER_NOT_CONNECTED', `no open session with ${peerId}`));
    const size = typeof data === 'string' ? new TextEncoder().encode(data).length : data?.length;
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) return Promise.reject(new TypeError('data must be a string or Uint8Array'));
    if (size > 256 * 1024 - 5) return Promise.reject(new StarlingError('FRAME_TOO_LARGE', 'message exceeds the 256 KiB frame cap'));
    this.#stats.messagesOut++;
    return link.send(data);
  }

  /** @internal */ countSent(n) { this.#stats.bytesOut += n; }
  /** @internal */ deliver(from, data, n) {
    this.#stats.messagesIn++;
    this.#stats.bytesIn += n;
    this.dispatchEvent(new CustomEvent('message', { detail: { from, data } }));
  }
  /** @internal */ connected(link, setupMs) {
    this.#stats.connectionsDirect++;
    this.#stats.setupMs.push(setupMs);
    this.dispatchEvent(new CustomEvent('peer:connect', { detail: { peerId: link.remoteId, path: 'direct' } }));
  }
  /** @internal */ disconnected(link, reason) {
    if (this.#links.get(link.remoteId) !== link) return;
    this.#links.delete(link.remoteId);
    if (link.wasConnected) this.dispatchEvent(new CustomEvent('peer:disconnect', { detail: { peerId: link.remoteId, reason: reason?.code } }));
    else if (reason && reason.code !== 'PEER_CLOSED') this.dispatchEvent(new CustomEvent('peer:error', { detail: { peerId: link.remoteId, code: reason.code ?? 'ERROR', message: reason.message } }));
  }

  /** Counters: connections, setup times, messages and bytes each way. */
  metrics() {
    const open = [...this.#links.values()].filter((l) => l.session).length;
    return { connections: { direct: open, relay: 0 }, connectionsOpened: this.#stats.connectionsDirect, setupMs: [...this.#stats.setupMs],
      messagesIn: this.#stats.messagesIn, messagesOut: this.#stats.messagesOut, bytesIn: this.#stats.bytesIn, bytesOut: this.#stats.bytesOut };
  }

  /** Closes every path and the hub connection. */
  async close() {
    for (const link of [...this.#links.values()]) link.close(new StarlingError('PEER_CLOSED', 'peer closed'));
    this.hub.close(); // idempotent
  }
}

/**
 * Connects to the hub and returns a Peer. Rejects like connectHub().
 * @param {{ hubUrl: string, token: string, identity: Identity, iceServers?: object[],
 *   iceTransportPolicy?: 'all'|'relay', RTCPeerConnection?: Function, allowInsecure?: boolean }} opts
 */
export async function createPeer(opts) {
  if (!(opts?.identity instanceof Identity)) throw new TypeError('identity must be an Identity');
  const RTCPeerConnection = opts.RTCPeerConnection ?? (await defaultRTCPeerConnection());
  const hub = await connectHub(opts);
  return new Peer(hub, opts, RTCPeerConnection);
}
