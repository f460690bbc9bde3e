// link.js — everything between this peer and one remote peer: its paths
// (direct, relay), which one carries data, and delivery. Delivery is what
// makes a path change invisible to the application: every message gets a
// sequence number when first written, stays held until the receiver's
// cumulative ACK covers it, and is written again, oldest first, on the
// next path whenever the active path changes. The receiver delivers only
// the next sequence number and acknowledges duplicates without delivering
// them, so nothing is lost or delivered twice. Which path carries data,
// and when to retry or fall back, is decided by the C state machine
// (src/link/link.c, through link-state.js); this file performs its
// actions. See docs/protocol.md §3.4.
import { encodeFrame, encodeFrames, FrameType, FRAME_HEADER_BYTES } from './frame.js';
import { RECORD_MAX_PLAINTEXT } from './noise.js';
import { StarlingError } from './errors.js';
import { Identity } from './identity.js';
import { DirectPath, RelayPath, HIGH_WATER } from './paths.js';
import { LinkState, PATH, REASON, ACTION, reasonOf } from './link-state.js';
const ACK_EVERY = 64;              // messages delivered before an ACK goes at once
const ACK_BYTES = 256 * 1024;     // or bytes delivered
const ACK_DELAY_MS = 5;           // otherwise an ACK waits this long for more to cover
const TEXT = 1;
const BYTES = 0;

// Sequence numbers are 32-bit and wrap: they compare in serial number
// arithmetic (RFC 1982), so "after" means within 2^31 ahead.
const SEQ_HALF = 2 ** 31;
const seqNext = (n) => (n + 1) >>> 0;
const seqCovers = (upTo, seq) => ((upTo - seq) >>> 0) < SEQ_HALF; // seq <= upTo
const seqAfter = (a, b) => a !== b && ((a - b) >>> 0) < SEQ_HALF; // a > b

/** Resolves when promise does, or after ms, whichever is first. */
async function withTimeout(promise, ms) {
  let timer;
  try { await Promise.race([promise, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]); } finally { clearTimeout(timer); }
}

const u32 = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const readU32 = (b, o = 0) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** A DATA frame, [u32 length][type][u32 seq][u8 kind][body], in one allocation. */
function dataFrame(seq, isText, body) {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + 5 + body.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 1 + 5 + body.length);
  frame[4] = FrameType.DATA;
  view.setUint32(FRAME_HEADER_BYTES, seq);
  frame[FRAME_HEADER_BYTES + 4] = isText ? TEXT : BYTES;
  frame.set(body, FRAME_HEADER_BYTES + 5);
  return frame;
}

/** A FIFO with O(1) shift (Array#shift is O(n) on long queues). */
class Fifo {
  #items = [];
  #head = 0;
  get length() { return this.#items.length - this.#head; }
  push(x) { this.#items.push(x); }
  shift() {
    if (this.#head >= this.#items.length) return undefined;
    const x = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return x;
  }
  drain() { const all = this.#items.slice(this.#head); this.#items = []; this.#head = 0; return all; }
}

const pathKind = (path) => (path.kind === 'direct' ? PATH.DIRECT : PATH.RELAY);

export class Link {
  constructor(peer, remoteId) {
    this.peer = peer;
    this.remoteId = remoteId;
    this.remoteKey = Identity.publicKeyFromPeerId(remoteId);
    this.offerer = peer.peerId < remoteId; // the smaller id offers and asks for relays
    this.rooms = new Set();                // rooms we share, as the hub last said
    this.direct = null;
    this.relay = null;
    this.active = null;
    this.state = new LinkState(this.offerer, peer.directRetryMs);
    this.timers = new Map();               // enum sl_link_timer -> timeout handle
    this.lastDirectError = null;           // the code of the last direct failure (fallback reason, report)
    this.relaySession = null;              // the session id the next relay path is for
    this.createdAt = performance.now();
    this.everConnected = false;
    // Delivery: outbound
    this.resend = [];                      // held items to write again, oldest first
    this.high = new Fifo();
    this.normal = new Fifo();
    this.inflight = new Map();             // seq -> item, written on the active path, not yet acknowledged
    this.heldBytes = 0;
    this.nextSeq = 1;                      // serial: wraps after 2^32 - 1
    this.current = null;                   // { frame, offset, path }: a frame partly written
    this.ackDue = false;
    this.presenceDue = false;
    this.settled = [];                     // settle() waiters, resolved when idle()
    // Delivery: inbound
    this.received = 0;                     // highest sequence number delivered
    this.event((s) => s.start());
  }

  signal(type, payload) {
    try { this.peer.hub?.signal(type, this.remoteId, payload); } catch { /* hub down: the path times out and is retried */ }
  }

  // ---------------------------------------------------------------- paths

  /** Runs one event of the state machine (with the hub's state as it is
   * now), then performs the actions it queued, in order. Actions may cause
   * further events (a path failing at once); those run nested, in order. */
  event(fn) {
    if (this.closed) return;
    this.state.setHub(!!this.peer.hub?.open);
    fn(this.state);
    this.perform();
  }

  perform() {
    for (let a; !this.closed && (a = this.nextAction());) {
      switch (a.kind) {
        case ACTION.START_DIRECT: this.direct = new DirectPath(this, a.arg); break;
        case ACTION.REPORT_BROKEN: this.signal('answer', { attempt: a.arg, error: this.lastDirectError ?? 'ERROR' }); break;
        case ACTION.REQUEST_RELAY: this.signal('relay-open'); break;
        case ACTION.START_RELAY: this.startRelay(); break;
        case ACTION.CLOSE_PATH: this.closePath(a.arg === PATH.DIRECT ? this.direct : this.relay); break;
        case ACTION.ACTIVATE: this.activate(a.arg === PATH.DIRECT ? this.direct : this.relay); break;
        case ACTION.DEACTIVATE: this.deactivate(); break;
        case ACTION.FALLBACK: this.peer.emit('connection:fallback', { peerId: this.remoteId, reason: this.fallbackName(a.arg) }); break;
        case ACTION.SET_TIMER: this.setTimer(a.arg, a.ms); break;
        default: break;
      }
    }
  }

  /** The state machine's next action; if it could not queue one (out of
   * memory) its state is no longer the link's, so the link closes. */
  nextAction() {
    try { return this.state.next(); } catch (err) { this.close(err); return null; }
  }

  /** Re-arms (ms >= 0) or cancels one of the state machine's timers. */
  setTimer(kind, ms) {
    clearTimeout(this.timers.get(kind));
    this.timers.delete(kind);
    if (ms >= 0) this.timers.set(kind, setTimeout(() => { this.timers.delete(kind); this.event((s) => s.timer(kind)); }, ms));
  }

  /** The `reason` of connection:fallback. */
  fallbackName(reason) {
    return { [REASON.TIMEOUT]: 'timeout', [REASON.ICE_FAILED]: 'ice-failed', [REASON.PATH_CLOSED]: 'direct-closed',
      [REASON.DIRECT_UNAVAILABLE]: 'direct-unavailable' }[reason] ?? this.lastDirectError ?? 'error';
  }

  /** Offer / answer / candidates from the other end, for one attempt. */
  onSignal(msg) {
    const attempt = msg.payload?.attempt ?? 0;
    if (!Number.isInteger(attempt) || attempt < 0 || attempt > 0xffffffff) return;
    if (msg.type === 'offer' && !this.offerer) this.event((s) => s.offer(attempt));
    if (this.direct?.attempt !== attempt) return;
    // The answerer's side of this attempt broke: no need to wait for the timeout.
    if (msg.type === 'answer' && typeof msg.payload?.error === 'string') this.direct.fail(new StarlingError('REMOTE_FAILED', `the peer's direct attempt failed: ${msg.payload.error}`));
    else this.direct.onSignal(msg);
  }

  /** `relay-ready`: a new session id means a new relayed handshake. */
  onRelayReady(sessionId) {
    if (this.closed || typeof sessionId !== 'string' || this.relay?.sessionId === sessionId) return;
    this.relaySession = sessionId;
    this.event((s) => s.relayReady());
  }

  startRelay() {
    const relay = new RelayPath(this, this.relaySession);
    this.relay = relay;
    if (this.offerer) return;
    try { relay.startHandshake(); } catch (err) { relay.fail(err); } // the hub went away meanwhile
  }

  /** A path's handshake completed. */
  pathReady(path) {
    if (path.kind === 'direct') clearTimeout(path.timer);
    if (path === this.direct || path === this.relay) this.event((s) => s.pathReady(pathKind(path)));
  }

  /** A path ended by itself (it is closed already). */
  pathFailed(path, err) {
    if (path !== this.direct && path !== this.relay) return; // one the link had already let go
    this.forget(path);
    if (this.leaving) return this.left?.(); // the other end read our goodbye and closed
    if (this.closed) return;
    this.peer.pathError(this, path, err);
    if (path.kind === 'direct') this.lastDirectError = err?.code ?? 'ERROR';
    this.event((s) => s.pathFailed(pathKind(path), reasonOf(err)));
  }

  /** A path the state machine let go: closed without a failure report. */
  closePath(path) {
    if (!path) return;
    this.forget(path);
    path.close();
  }

  forget(path) {
    if (this.direct === path) this.direct = null;
    if (this.relay === path) this.relay = null;
  }

  /** The active path is gone: what it had in flight is written again on the next. */
  deactivate() {
    this.active = null;
    this.requeueInflight();
    this.peer.pathChanged(this);
  }

  activate(path) {
    if (!path || this.active === path) return;
    if (this.active) this.requeueInflight();
    this.active = path;
    this.current = null;
    this.ackDue = true;                         // tell the other end where we are
    this.presenceDue = this.peer.presence !== undefined;
    if (!this.everConnected) {
      this.everConnected = true;
      this.peer.connected(this, path.kind, performance.now() - this.createdAt);
    }
    this.peer.pathChanged(this);
    this.pump();
  }

  /** The hub connection went away: the relay path goes with it. */
  hubLost() {
    if (this.relay) this.peer.pathError(this, this.relay, new StarlingError('HUB_CLOSED', 'hub connection lost'));
    this.event((s) => s.hubLost());
  }

  /** The other end is (again) in one of our rooms: get a path if we have none. */
  remotePresent() { this.event((s) => s.present()); }

  // ------------------------------------------------------------- outbound

  /** Queues a message (body: bytes the link now owns; isText: deliver as a
   * string); resolves when the receiver acknowledged it. */
  send(body, isText, priority) {
    if (this.heldBytes + body.length > this.peer.maxQueueBytes) {
      this.peer.countRejected();
      return Promise.reject(new StarlingError('QUEUE_FULL', `more than ${this.peer.maxQueueBytes} bytes are waiting for ${this.remoteId}`));
    }
    return new Promise((resolve, reject) => {
      this.heldBytes += body.length;
      (priority === 'high' ? this.high : this.normal).push({ body, isText, resolve, reject, seq: 0, frame: null });
      this.pumpSoon();
    });
  }

  /** Everything written but not acknowledged goes back to be written again, oldest first. */
  requeueInflight() {
    this.peer.countResent(this.inflight.size);
    if (this.inflight.size) this.resend = [...this.inflight.values(), ...this.resend];
    this.inflight.clear();
  }

  nextItem() { return this.resend.shift() ?? this.high.shift() ?? this.normal.shift(); }

  /** The next plaintext chunk for `path` (≤ one record): control frames
   * first, then the frame stream. Frames may span records, so a frame
   * partly written on one path is never continued on another. */
  nextChunk(path) {
    const parts = [];
    let room = RECORD_MAX_PLAINTEXT;
    const control = (frame) => { parts.push(frame); room -= frame.length; };
    if (this.current && this.current.path !== path) this.current = null;
    if (!this.current) {
      if (this.ackDue) {
        this.ackDue = false;
        this.unackedCount = this.unackedBytes = 0;
        control(encodeFrame(FrameType.ACK, u32(this.received)));
      }
      if (this.presenceDue) { this.presenceDue = false; control(encodeFrame(FrameType.PRESENCE, new TextEncoder().encode(this.peer.presence))); }
    }
    while (room > 0) {
      if (!this.current) {
        const item = this.nextItem();
        if (!item) break;
        if (!item.frame) {
          item.seq = this.nextSeq;
          this.nextSeq = seqNext(this.nextSeq);
          item.frame = dataFrame(item.seq, item.isText, item.body);
        }
        this.inflight.set(item.seq, item);
        this.current = { frame: item.frame, offset: 0, path };
      }
      const { frame, offset } = this.current;
      const n = Math.min(room, frame.length - offset);
      parts.push(frame.subarray(offset, offset + n));
      room -= n;
      this.current.offset += n;
      if (this.current.offset === frame.length) this.current = null;
    }
    if (parts.length <= 1) return parts[0] ?? null;
    const out = new Uint8Array(RECORD_MAX_PLAINTEXT - room);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  /** Writes while the active path is ready and has room. One pump at a
   * time, so one frame's records never interleave with another's. */
  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const path = this.active;
        if (this.closed || !path?.ready) break;
        if (path.buffered > HIGH_WATER) {
          await path.drained();
          continue;
        }
        const chunk = this.nextChunk(path);
        if (!chunk) break;
        try { path.sendPlaintext(chunk); } catch (err) { path.fail(err); }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Pumps after the current task's synchronous code: a burst of send()
   * calls then shares records instead of costing one record each. */
  pumpSoon() {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => { this.pumpQueued = false; this.pump(); });
  }

  /** Acknowledgements are coalesced, like TCP's delayed ACK: at once after
   * ACK_EVERY messages or ACK_BYTES delivered, otherwise after ACK_DELAY_MS.
   * An ACK per message would cost a record (and a channel send) each. */
  scheduleAck(bytes) {
    this.ackDue = true;
    this.unackedCount = (this.unackedCount ?? 0) + 1;
    this.unackedBytes = (this.unackedBytes ?? 0) + bytes;
    if (this.unackedCount >= ACK_EVERY || this.unackedBytes >= ACK_BYTES) {
      clearTimeout(this.ackTimer);
      this.ackTimer = 0;
      this.pump();
      return;
    }
    this.ackTimer ||= setTimeout(() => { this.ackTimer = 0; this.pump(); }, ACK_DELAY_MS);
  }

  // -------------------------------------------------------------- inbound

  onFrame({ type, payload }, path) {
    // After our goodbye nothing more is delivered: it could not be acknowledged.
    if (type === FrameType.DATA && this.leaving) return;
    if (type === FrameType.DATA && payload.length >= 5) {
      const seq = readU32(payload);
      // A duplicate (resent after a path change) is acknowledged, not delivered.
      // A gap cannot happen on one ordered path whose resends start at the
      // oldest unacknowledged message; were it to, the message is dropped
      // unacknowledged and comes again after the next path change.
      if (seq === seqNext(this.received)) {
        this.received = seq;
        const body = payload.subarray(5);
        this.peer.deliver(this.remoteId, payload[4] === TEXT ? new TextDecoder().decode(body) : body.slice(), body.length, path.kind);
      } else if (seqAfter(seq, seqNext(this.received))) {
        this.peer.countOutOfOrder();
        return;
      }
      this.scheduleAck(payload.length);
    } else if (type === FrameType.ACK && payload.length >= 4) {
      const upTo = readU32(payload);
      for (const [seq, item] of this.inflight) {
        if (!seqCovers(upTo, seq)) break;
        this.inflight.delete(seq);
        this.heldBytes -= item.body.length;
        this.peer.countSent(item.body.length);
        item.resolve();
      }
      // Resends waiting for a path may have been acknowledged meanwhile.
      while (this.resend.length && seqCovers(upTo, this.resend[0].seq)) {
        const item = this.resend.shift();
        this.heldBytes -= item.body.length;
        this.peer.countSent(item.body.length);
        item.resolve();
      }
      if (this.idle()) this.settled.splice(0).forEach((resolve) => resolve());
    } else if (type === FrameType.PRESENCE) {
      this.peer.emit('presence', { peerId: this.remoteId, status: new TextDecoder().decode(payload) });
    } else if (type === FrameType.DISCONNECT) {
      this.close(new StarlingError('PEER_LEFT', 'the peer closed'));
    }
    // Other frame types belong to later layers (gossip, orderbook, ...).
  }

  /** Nothing of ours is waiting: every message sent was acknowledged. */
  idle() { return this.inflight.size + this.resend.length + this.high.length + this.normal.length === 0; }

  /** Before a goodbye: acknowledge at once what we delivered (a delayed ACK
   * would be lost with the link, and the sender would report a delivered
   * message as failed), then wait up to ms for the other end to acknowledge
   * what we sent. Resolves true if nothing of ours is left unacknowledged. */
  async settle(ms) {
    clearTimeout(this.ackTimer);
    this.ackTimer = 0;
    if (this.ackDue) this.pump();
    if (this.idle() || !this.active) return this.idle();
    await withTimeout(new Promise((resolve) => this.settled.push(resolve)), ms);
    return this.idle();
  }

  /** Says goodbye, then waits up to ms for the other end to close the
   * direct path: closing our RTCPeerConnection at once could discard the
   * goodbye and the ACKs before it while they are still in flight. (A
   * relay path needs no wait: the hub's WebSocket closes after what it
   * has buffered.) */
  async leave(ms) {
    const path = this.active;
    if (!path?.ready || this.current) return;
    this.leaving = true;
    const gone = new Promise((resolve) => { this.left = resolve; });
    this.sayGoodbye();
    if (path.kind === 'direct') await withTimeout(gone, ms);
  }

  /** Best effort: tells the other end we are leaving (not between two records of one frame). */
  sayGoodbye() {
    const path = this.active;
    if (!path?.ready || this.current) return;
    // Anything delivered since settle() is acknowledged in the same record.
    const frames = [{ type: FrameType.DISCONNECT }];
    if (this.ackDue) frames.unshift({ type: FrameType.ACK, payload: u32(this.received) });
    try { path.sendPlaintext(encodeFrames(frames)); } catch { /* closing anyway */ }
  }

  /** Ends the link: every message still held is rejected with `reason`. */
  close(reason) {
    if (this.closed) return;
    this.closed = true;
    for (const t of [...this.timers.values(), this.ackTimer, this.absentTimer]) clearTimeout(t);
    this.timers.clear();
    this.state.free();
    const held = [...this.resend, ...this.inflight.values(), ...this.high.drain(), ...this.normal.drain()];
    const err = reason ?? new StarlingError('PEER_DISCONNECTED', 'peer disconnected');
    for (const item of held) item.reject(err);
    this.peer.countDropped(held.length);
    this.settled.splice(0).forEach((resolve) => resolve());
    this.resend = [];
    this.inflight.clear();
    this.heldBytes = 0;
    for (const path of [this.direct, this.relay]) path?.close();
    this.direct = this.relay = this.active = null;
    this.peer.disconnected(this, reason);
  }
}
