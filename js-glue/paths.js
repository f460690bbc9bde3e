// paths.js — the two ways a session can travel between two peers: a direct
// WebRTC data channel, or the hub's relay. Each path runs its own Noise
// handshake (direct: both DTLS fingerprints as the prologue; relay: the
// hub's relay session id) and its own frame stream; the Link above decides
// which one carries data. See docs/protocol.md §3.3 and §6.
import { Handshake } from './noise.js';
import { FrameDecoder } from './frame.js';
import { StarlingError } from './errors.js';

export const HIGH_WATER = 1024 * 1024; // buffered above this: wait until it drains
export const LOW_WATER = 256 * 1024;
const RELAY_HANDSHAKE_MIN_MS = 5000;
const ROUTE_SETTLE_MS = 15000; // the candidate pair is read every second this long, then this often

/** The DTLS fingerprint line of an SDP ("sha-256 AB:CD:…"). */
function fingerprint(sdp) {
  const m = /^a=fingerprint:(.+)$/m.exec(sdp ?? '');
  if (!m) throw new StarlingError('NO_FINGERPRINT', 'SDP carries no DTLS fingerprint');
  return m[1].trim();
}

/** Resolves once isLow() holds (polled) or `event` fired on target, whichever is first. */
function waitUntil(isLow, target, event) {
  return new Promise((ok) => {
    let timer = 0;
    const done = () => {
      if (!timer) return;
      clearInterval(timer);
      timer = 0;
      ok();
    };
    timer = setInterval(() => { if (isLow()) done(); }, 1);
    target?.addEventListener?.(event, done, { once: true });
  });
}

/** Bytes of a link incarnation, sent in handshake messages 2 and 3. */
export const INCARNATION_BYTES = 8;

/** What both paths share: the handshake, the session, the frame decoder. */
class Path {
  constructor(link, kind) {
    this.link = link;
    this.kind = kind;
    this.handshake = null;
    this.session = null;
    this.decoder = new FrameDecoder();
    this.closed = false;
    this.startedAt = performance.now();
    this.remoteIncarnation = null;
  }

  get ready() { return !!this.session && !this.closed; }

  /** How the application sees this path: 'relay' (the hub), 'turn' (a
   * data channel through a TURN server) or 'direct'. */
  get route() { return this.kind; }

  beginHandshake(prologue, initiator) {
    if (this.handshake || this.session || this.closed) return;
    const { peer, remoteId } = this.link;
    this.handshake = new Handshake({ identity: peer.identity, initiator, prologue, remotePeerId: remoteId });
    if (this.handshake.wantsWrite) this.write(this.handshake.writeMessage());
  }

  /** One record from the other end, in order. Any error ends this path. */
  process(bytes) {
    if (this.closed) return;
    try {
      if (this.session) {
        this.link.receive(this, bytes);
        return;
      }
      this.startHandshake(); // a first message may beat our own start
      const said = this.handshake.readMessage(bytes);
      if (said.length === INCARNATION_BYTES) this.remoteIncarnation = said;
      // Messages 2 and 3 are encrypted to the other end: they carry which
      // incarnation of this link's state we are (see Link.incarnation).
      if (this.handshake.wantsWrite) this.write(this.handshake.writeMessage(this.link.incarnation));
      if (this.handshake.complete) {
        this.session = this.handshake.split();
        this.handshake = null;
        this.link.pathReady(this);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** Closes the path and tells the link. */
  fail(err) {
    if (this.closed) return;
    this.close();
    this.link.pathFailed(this, err);
  }

  /** Closes the path without telling the link. */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.handshake?.free();
    this.session?.free();
    this.handshake = null;
    this.session = null;
    this.decoder.free();
  }
}

/** One RTCPeerConnection with one reliable ordered data channel. */
export class DirectPath extends Path {
  constructor(link, attempt) {
    super(link, 'direct');
    this.attempt = attempt;
    const { peer } = link;
    this.pc = new peer.RTCPeerConnection({ iceServers: peer.iceServers, iceTransportPolicy: peer.iceTransportPolicy });
    this.pc.onicecandidate = (e) => {
      if (e.candidate) link.signal('ice-candidate', { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, attempt });
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      if (state === 'failed') this.fail(new StarlingError('ICE_FAILED', 'ICE found no working candidate pair'));
      else if (state === 'closed') this.fail(new StarlingError('PATH_CLOSED', 'peer connection closed'));
    };
    // Not connected in time: the link falls back to the relay.
    this.timer = setTimeout(() => {
      if (!this.session) this.fail(new StarlingError('DIRECT_TIMEOUT', `no direct session within ${peer.directTimeoutMs} ms`));
    }, peer.directTimeoutMs);
    if (link.offerer) {
      this.attach(this.pc.createDataChannel('starling', { ordered: true }));
      this.offer().catch((err) => this.fail(err));
    } else {
      this.pc.ondatachannel = (e) => this.attach(e.channel);
    }
  }

  async offer() {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (!this.closed) this.link.signal('offer', { type: 'offer', sdp: this.pc.localDescription.sdp, attempt: this.attempt });
  }

  /** Signals are applied one at a time, in arrival order: a candidate must
   * not reach addIceCandidate before the description it belongs to. */
  onSignal(msg) {
    this.signals = (this.signals ?? Promise.resolve()).then(() => this.applySignal(msg)).catch((err) => this.fail(err));
  }

  async applySignal(msg) {
    if (this.closed) return;
    const p = msg.payload ?? {};
    if (msg.type === 'offer' && !this.link.offerer) {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: p.sdp });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      this.link.signal('answer', { type: 'answer', sdp: this.pc.localDescription.sdp, attempt: this.attempt });
    } else if (msg.type === 'answer' && this.link.offerer) {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: p.sdp });
    } else if (msg.type === 'ice-candidate' && typeof p.candidate === 'string') {
      // One unusable candidate is not a reason to drop the path.
      await this.pc.addIceCandidate({ candidate: p.candidate, sdpMid: p.sdpMid ?? '0' }).catch(() => {});
    }
  }

  get route() { return this.candidates && (this.candidates.local === 'relay' || this.candidates.remote === 'relay') ? 'turn' : 'direct'; }

  /** Reads which candidate pair ICE chose (getStats, in browsers and in
   * node-datachannel) into this.candidates: { local, remote } candidate
   * types ('host', 'srflx', 'prflx', 'relay'). Once, when the channel is
   * up: the handshake waits for it, so the route is known by pathReady. */
  learnRoute() {
    this.routeKnown ??= this.readRoute();
    return this.routeKnown;
  }

  readRoute() {
    return Promise.resolve(this.pc.getStats?.()).then((report) => {
      if (!report) return;
      const stats = [...report.values()];
      const byId = new Map(stats.map((r) => [r.id, r]));
      const transport = stats.find((r) => r.type === 'transport' && r.selectedCandidatePairId);
      const pair = byId.get(transport?.selectedCandidatePairId)
        ?? stats.find((r) => r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded');
      const local = byId.get(pair?.localCandidateId)?.candidateType;
      const remote = byId.get(pair?.remoteCandidateId)?.candidateType;
      if (local || remote) this.candidates = { local: local ?? 'unknown', remote: remote ?? 'unknown' };
    }).catch(() => {}); // no stats: reported as direct
  }

  /** ICE may start on the first pair that works (through TURN, say) and
   * move to a better one moments later; no implementation we run on
   * reports the move as an event (node-datachannel never fires
   * selectedcandidatepairchange), so while the path goes through TURN the
   * pair is read again: every second for the first 15 s, then every
   * 15 s. A direct pair is not watched (it does not move to TURN on its
   * own). A change of route is the link's to report. */
  watchRoute() {
    if (this.closed || this.route !== 'turn') return;
    const age = performance.now() - this.startedAt;
    this.routeTimer = setTimeout(async () => {
      const before = this.route;
      await this.readRoute();
      if (this.closed) return;
      if (this.route !== before) this.link.routeChanged(this);
      this.watchRoute();
    }, age < ROUTE_SETTLE_MS ? 1000 : ROUTE_SETTLE_MS);
  }

  // Roles: the offerer creates the channel; the answerer receives it and
  // is the Noise initiator. The first handshake message thus travels
  // towards the channel whose creator has listened from the start.
  attach(channel) {
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    channel.onmessage = (e) => this.onRecord(new Uint8Array(e.data));
    channel.onclose = () => this.fail(new StarlingError('PATH_CLOSED', 'data channel closed'));
    if (!this.link.offerer) {
      const start = () => this.afterSignals(async () => {
        await this.learnRoute();
        this.startHandshake();
      });
      if (channel.readyState === 'open') start();
      else channel.onopen = start;
    }
  }

  /** Runs fn once every signal received so far has been applied: 'open' or
   * a first record can arrive before setRemoteDescription() resolved. */
  afterSignals(fn) {
    return (this.signals ?? Promise.resolve()).then(fn).catch((err) => this.fail(err));
  }

  /** The prologue binds the path: both DTLS fingerprints, sorted. */
  startHandshake() {
    const prologue = [fingerprint(this.pc.localDescription?.sdp), fingerprint(this.pc.remoteDescription?.sdp)].sort().join('|');
    this.beginHandshake(prologue, !this.link.offerer);
  }

  onRecord(bytes) {
    this.rx = (this.rx ?? this.afterSignals(() => this.learnRoute())).then(() => this.process(bytes));
  }

  write(bytes) {
    if (this.channel?.readyState !== 'open') throw new StarlingError('PATH_CLOSED', 'data channel is not open');
    this.channel.send(bytes);
  }

  get buffered() { return this.channel?.bufferedAmount ?? 0; }

  /** Waits for 'bufferedamountlow' (browsers and node-datachannel 0.33.4
   * fire it), and also polls as a safety net against an implementation
   * that does not. */
  drained() { return waitUntil(() => this.closed || this.buffered <= LOW_WATER, this.channel, 'bufferedamountlow'); }

  close() {
    if (this.closed) return;
    super.close();
    clearTimeout(this.timer);
    clearTimeout(this.routeTimer);
    try { this.channel?.close(); } catch { /* already closed */ }
    try { this.pc.close(); } catch { /* already closed */ }
  }
}

/** The hub's relay: records travel as binary WebSocket messages that the
 * hub forwards; it sees only ciphertext. */
export class RelayPath extends Path {
  constructor(link, sessionId) {
    super(link, 'relay');
    this.sessionId = sessionId;
    this.hub = link.peer.hub; // a relay path lives and dies with one hub connection
    // A handshake message lost on the way (the other end had no relay path
    // for this session yet, say) would leave the path waiting forever: it
    // fails instead, and the link asks for a new relay.
    const ms = Math.max(RELAY_HANDSHAKE_MIN_MS, 2 * link.peer.directTimeoutMs);
    this.timer = setTimeout(() => {
      if (!this.session) this.fail(new StarlingError('RELAY_TIMEOUT', `no relayed session within ${ms} ms`));
    }, ms);
  }

  close() {
    if (this.closed) return;
    super.close();
    clearTimeout(this.timer);
  }

  /** Same roles as the direct path: the answerer initiates. */
  startHandshake() { this.beginHandshake(`starling-relay:${this.sessionId}`, !this.link.offerer); }

  write(bytes) {
    this.hub.relay(this.link.remoteKey, bytes);
    this.link.peer.countRelayed(bytes.length);
  }

  get buffered() { return this.hub.bufferedAmount; }

  drained() { return waitUntil(() => this.closed || !this.hub.open || this.buffered <= LOW_WATER); }
}
