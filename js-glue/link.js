// link.js — everything between this peer and one remote peer: its paths
// (direct, relay), which one carries data, and delivery. Delivery is what
// makes a path change invisible to the application: every message gets a
// sequence number when first written, stays held until the receiver's
// cumulative ACK covers it, and is written again, oldest first, on the
// next path whenever the active path changes. The receiver delivers only
// the next sequence number and acknowledges duplicates without delivering
// them, so nothing is lost or delivered twice. See docs/protocol.md §3.4.
import { encodeFrame, FrameType, FRAME_HEADER_BYTES } from './frame.js';
import { RECORD_MAX_PLAINTEXT } from './noise.js';
import { StarlingError } from './errors.js';
import { Identity } from './identity.js';
import { DirectPath, RelayPath, HIGH_WATER } from './paths.js';

const RELAY_RETRY_MS = 1000;      // a failed relay path is re-requested after this
const QUICK_RETRY_MS = 250;       // a direct attempt that broke (not timed out) is retried at once...
const QUICK_RETRIES = 2;          // ...this many times before falling back
const RELAY_LINGER_MS = 5000;     // after moving to direct, the relay still receives this long
const ACK_EVERY = 64;              // messages delivered before an ACK goes at once
const ACK_BYTES = 256 * 1024;     // or bytes delivered
const ACK_DELAY_MS = 5;           // otherwise an ACK waits this long for more to cover
const TEXT = 1;
const BYTES = 0;

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

/** Why a path went away, as the `reason` of connection:fallback. */
function reasonFor(err) {
  return { ICE_FAILED: 'ice-failed', DIRECT_TIMEOUT: 'timeout', PATH_CLOSED: 'direct-closed' }[err?.code] ?? (err?.code ?? 'error');
}

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
    this.attempt = 0;                      // direct attempts (the offerer counts; the answerer follows)
    this.quickRetries = 0;
    this.createdAt = performance.now();
    this.everConnected = false;
    this.fallbackReason = null;
    // Delivery: outbound
    this.resend = [];                      // held items to write again, oldest first
    this.high = new Fifo();
    this.normal = new Fifo();
    this.inflight = new Map();             // seq -> item, written on the active path, not yet acknowledged
    this.heldBytes = 0;
    this.nextSeq = 1;
    this.current = null;                   // { frame, offset, path }: a frame partly written
    this.ackDue = false;
    this.presenceDue = false;
    // Delivery: inbound
    this.received = 0;                     // highest sequence number delivered
    if (this.offerer) this.startDirect();
  }

  signal(type, payload) {
    try { this.peer.hub?.signal(type, this.remoteId, payload); } catch { /* hub down: the path times out and is retried */ }
  }

  // ---------------------------------------------------------------- paths

  /** Offerer: a new direct attempt (on first contact and when retrying). */
  startDirect() {
    if (this.closed || !this.offerer || this.direct || !this.peer.hub?.open) return;
    clearTimeout(this.retryTimer);
    this.direct = new DirectPath(this, ++this.attempt);
  }

  /** Offer / answer / candidates from the other end, for one attempt. */
  onSignal(msg) {
    const attempt = msg.payload?.attempt ?? 0;
    if (msg.type === 'offer' && !this.offerer && (!this.direct || attempt > this.direct.attempt)) {
      if (this.direct) this.dropPath(this.direct);
      this.direct = new DirectPath(this, attempt);
    }
    if (this.direct?.attempt !== attempt) return;
    // The answerer's side of this attempt broke: no need to wait for the timeout.
    if (msg.type === 'answer' && typeof msg.payload?.error === 'string') this.direct.fail(new StarlingError('REMOTE_FAILED', `the peer's direct attempt failed: ${msg.payload.error}`));
    else this.direct.onSignal(msg);
  }

  /** Offerer: ask the hub for a relay path to this peer. */
  requestRelay() {
    clearTimeout(this.relayTimer);
    if (this.closed || !this.offerer || this.relay || !this.peer.hub?.open) return;
    this.signal('relay-open');
  }

  /** `relay-ready`: a new session id means a new relayed handshake. */
  onRelayReady(sessionId) {
    if (this.closed || typeof sessionId !== 'string' || this.relay?.sessionId === sessionId) return;
    if (this.relay) this.dropPath(this.relay);
    const relay = new RelayPath(this, sessionId);
    this.relay = relay;
    if (this.offerer) return;
    try { relay.startHandshake(); } catch (err) { relay.fail(err); } // the hub went away meanwhile
  }

  pathReady(path) {
    path.wasReady = true;
    if (path.kind === 'direct') {
      clearTimeout(path.timer);
      this.quickRetries = 0;
      this.activate(path);
      // The relay keeps receiving a little longer: the other end may not have moved yet.
      const relay = this.relay;
      if (relay) setTimeout(() => { if (this.relay === relay && this.active !== relay) this.dropPath(relay); }, RELAY_LINGER_MS);
    } else if (!this.direct?.ready) {
      this.activate(path);
      this.peer.emit('connection:fallback', { peerId: this.remoteId, reason: this.fallbackReason ?? 'direct-unavailable' });
    }
  }

  pathFailed(path, err) {
    this.detach(path);
    if (this.closed) return;
    this.peer.pathError(this, path, err);
    if (path.kind === 'direct') {
      const broke = !path.wasReady && !['DIRECT_TIMEOUT', 'ICE_FAILED'].includes(err?.code);
      if (broke && !this.offerer) this.signal('answer', { attempt: path.attempt, error: err?.code ?? 'ERROR' });
      if (broke && this.offerer && this.quickRetries < QUICK_RETRIES) {
        // A broken attempt (a WebRTC stack error, say) is not a verdict on the network.
        this.quickRetries++;
        this.retryTimer = setTimeout(() => this.startDirect(), QUICK_RETRY_MS);
      } else {
        this.fallbackReason = reasonFor(err);
        if (this.offerer) {
          this.requestRelay();
          this.retryTimer = setTimeout(() => this.startDirect(), this.peer.directRetryMs);
        }
      }
    } else if (this.offerer) {
      this.relayTimer = setTimeout(() => this.requestRelay(), RELAY_RETRY_MS);
    }
  }

  /** Closes a path the link no longer wants, without retry logic. */
  dropPath(path) {
    path.close();
    this.detach(path);
  }

  /** Forgets a path; if it was the active one, the other path (when ready) takes over. */
  detach(path) {
    if (this.direct === path) this.direct = null;
    if (this.relay === path) this.relay = null;
    if (this.active !== path) return;
    this.active = null;
    this.requeueInflight();
    this.peer.pathChanged(this);
    const next = [this.direct, this.relay].find((p) => p?.ready);
    if (next && !this.closed) this.activate(next);
  }

  activate(path) {
    if (this.active === path) return;
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

  /** The hub connection went away: relay paths went with it. */
  hubLost() { if (this.relay) this.pathFailed(this.relay, new StarlingError('HUB_CLOSED', 'hub connection lost')); }

  /** The other end is (again) in one of our rooms: get a path if we have none. */
  remotePresent() {
    if (this.closed || this.active || !this.offerer) return;
    this.startDirect();
    if (this.fallbackReason) this.requestRelay();
  }

  // ------------------------------------------------------------- outbound

  /** Queues a message; resolves when the receiver acknowledged it. */
  send(data, priority) {
    const isText = typeof data === 'string';
    const body = isText ? new TextEncoder().encode(data) : data;
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
          item.seq = this.nextSeq++;
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
    if (type === FrameType.DATA && payload.length >= 5) {
      const seq = readU32(payload);
      // A duplicate (resent after a path change) is acknowledged, not delivered.
      // A gap cannot happen on one ordered path whose resends start at the
      // oldest unacknowledged message; were it to, the message is dropped
      // unacknowledged and comes again after the next path change.
      if (seq === this.received + 1) {
        this.received = seq;
        const body = payload.subarray(5);
        this.peer.deliver(this.remoteId, payload[4] === TEXT ? new TextDecoder().decode(body) : body.slice(), body.length, path.kind);
      } else if (seq > this.received + 1) {
        this.peer.countOutOfOrder();
        return;
      }
      this.scheduleAck(payload.length);
    } else if (type === FrameType.ACK && payload.length >= 4) {
      const upTo = readU32(payload);
      for (const [seq, item] of this.inflight) {
        if (seq > upTo) break;
        this.inflight.delete(seq);
        this.heldBytes -= item.body.length;
        this.peer.countSent(item.body.length);
        item.resolve();
      }
      // Resends waiting for a path may have been acknowledged meanwhile.
      while (this.resend.length && this.resend[0].seq <= upTo) {
        const item = this.resend.shift();
        this.heldBytes -= item.body.length;
        this.peer.countSent(item.body.length);
        item.resolve();
      }
    } else if (type === FrameType.PRESENCE) {
      this.peer.emit('presence', { peerId: this.remoteId, status: new TextDecoder().decode(payload) });
    } else if (type === FrameType.DISCONNECT) {
      this.close(new StarlingError('PEER_LEFT', 'the peer closed'));
    }
    // Other frame types belong to later layers (gossip, orderbook, ...).
  }

  /** Best effort: tells the other end we are leaving (not between two records of one frame). */
  sayGoodbye() {
    const path = this.active;
    if (!path?.ready || this.current) return;
    try { path.sendPlaintext(encodeFrame(FrameType.DISCONNECT, new Uint8Array(0))); } catch { /* closing anyway */ }
  }

  /** Ends the link: every message still held is rejected with `reason`. */
  close(reason) {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.retryTimer, this.relayTimer, this.ackTimer, this.absentTimer]) clearTimeout(t);
    const held = [...this.resend, ...this.inflight.values(), ...this.high.drain(), ...this.normal.drain()];
    const err = reason ?? new StarlingError('PEER_DISCONNECTED', 'peer disconnected');
    for (const item of held) item.reject(err);
    this.peer.countDropped(held.length);
    this.resend = [];
    this.inflight.clear();
    this.heldBytes = 0;
    for (const path of [this.direct, this.relay]) path?.close();
    this.direct = this.relay = this.active = null;
    this.peer.disconnected(this, reason);
  }
}
