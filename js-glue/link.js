// link.js — everything between this peer and one remote peer: its paths
// (direct, relay), which one carries data, and delivery. Delivery is what
// makes a path change invisible to the application; it lives in C
// (src/link/delivery.c, through delivery.js): sequence numbers, coalesced
// ACKs, resend of what was in flight when the active path changes, dedupe
// and the priority queue. Which path carries data, and when to retry or
// fall back, is decided by the C state machine (src/link/link.c, through
// link-state.js). This file performs both machines' actions and events.
// See docs/protocol.md §3.4.
import { StarlingError } from './errors.js';
import { Identity } from './identity.js';
import { DirectPath, RelayPath, HIGH_WATER, INCARNATION_BYTES } from './paths.js';
import { LinkState, PATH, REASON, ACTION, reasonOf } from './link-state.js';
import { Delivery, EVENT, KIND } from './delivery.js';
import { TRADE_FRAMES } from './trades.js';

/** Resolves when promise does, or after ms, whichever is first. */
async function withTimeout(promise, ms) {
  let timer;
  try { await Promise.race([promise, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]); } finally { clearTimeout(timer); }
}

const pathKind = (path) => (path.kind === 'direct' ? PATH.DIRECT : PATH.RELAY);

export class Link {
  /** via: the connected peer that forwards our signalling (mesh dials). */
  constructor(peer, remoteId, via = null) {
    this.peer = peer;
    this.remoteId = remoteId;
    this.via = via;
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
    this.delivery = new Delivery(peer.maxQueueBytes);
    /** Random, one per delivery state: the other end learns it in each
     * handshake, and a different one means we restarted (see pathReady). */
    this.incarnation = crypto.getRandomValues(new Uint8Array(INCARNATION_BYTES));
    this.remoteIncarnation = null;
    this.pending = new Map();              // delivery handle -> { resolve, reject, len }: send() promises
    this.settled = [];                     // settle() waiters, resolved when idle()
    this.ackTimer = 0;
    if (peer.presence !== undefined) this.delivery.setPresence(new TextEncoder().encode(peer.presence));
    this.event((s) => s.start());
  }

  /** Sends one signalling message: through the hub while it is up and we
   * share a room, else as a SIGNAL frame through `via`, a connected peer
   * that forwards it (mesh signalling). Relays are only ever the hub's. */
  signal(type, payload) {
    const hub = this.peer.hub;
    if (this.via && type !== 'relay-open' && !(hub?.open && this.rooms.size > 0)) {
      this.peer.sendMeshSignal(this.via, this.remoteId, type, payload);
      return;
    }
    try { hub?.signal(type, this.remoteId, payload); } catch { /* hub down: the path times out and is retried */ }
  }

  /** Signalling can reach the other end: the hub is up, or a connected
   * peer forwards for us. */
  canSignal() {
    return !!this.peer.hub?.open || !!(this.via && this.peer._link(this.via)?.active);
  }

  // ---------------------------------------------------------------- paths

  /** Runs one event of the state machine (with the hub's state as it is
   * now), then performs the actions it queued, in order. Actions may cause
   * further events (a path failing at once); those run nested, in order. */
  event(fn) {
    if (this.closed) return;
    this.state.setHub(this.canSignal()); // the C machine's "hub": a way to signal
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
    clearTimeout(path.timer); // the path's handshake deadline
    if (path !== this.direct && path !== this.relay) return;
    path.watchRoute?.();
    const theirs = path.remoteIncarnation;
    if (theirs && this.remoteIncarnation && !theirs.every((b, i) => b === this.remoteIncarnation[i])) this.remoteRestarted();
    if (theirs) this.remoteIncarnation = theirs;
    this.event((s) => s.pathReady(pathKind(path)));
  }

  /** A direct path's candidate pair moved between TURN and direct. */
  routeChanged(path) {
    if (path === this.active) this.peer.pathChanged(this);
  }

  /** The other end is a new process with the same identity: its sequence
   * numbers start again and what it had received is gone. Our delivery
   * state starts again too; sends still waiting for an acknowledgement
   * reject with PEER_RESTARTED (they may or may not have arrived). */
  remoteRestarted() {
    const err = new StarlingError('PEER_RESTARTED', `${this.remoteId} restarted: the message may not have been delivered`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.delivery.free();
    this.delivery = new Delivery(this.peer.maxQueueBytes);
    if (this.peer.presence !== undefined) this.delivery.setPresence(new TextEncoder().encode(this.peer.presence));
    this.peer.emit('peer:restart', { peerId: this.remoteId });
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
    this.peer.countResent(this.delivery.deactivate());
    this.peer.pathChanged(this);
  }

  activate(path) {
    if (!path || this.active === path) return;
    this.active = path;
    // What was in flight is written again here; an ACK (and our presence) is due.
    this.peer.countResent(this.delivery.activate());
    if (!this.everConnected) {
      this.everConnected = true;
      this.peer.connected(this, path.route, performance.now() - this.createdAt);
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

  /** Queues a copy of a message (kind: KIND); resolves when the receiver
   * acknowledged it. */
  send(body, kind, priority) {
    let handle;
    try {
      handle = this.delivery.send(body, kind, priority === 'high');
    } catch (err) {
      if (err.code !== 'QUEUE_FULL') return Promise.reject(err);
      this.peer.countRejected();
      return Promise.reject(new StarlingError('QUEUE_FULL', `more than ${this.peer.maxQueueBytes} bytes are waiting for ${this.remoteId}`));
    }
    return new Promise((resolve, reject) => {
      this.pending.set(handle, { resolve, reject, len: body.length });
      this.pumpSoon();
    });
  }

  /** Queues a message for a layer above the link (a gossip RPC, a
   * signalling message) that needs no acknowledgement back: false if the
   * queue refused it (full, or the link closing). */
  sendQuiet(body, kind) {
    if (this.closed) return false;
    try {
      this.delivery.send(body, kind, false);
    } catch {
      return false;
    }
    this.pumpSoon();
    return true;
  }

  /** Our presence changed: it goes out now on the active path, or on the next. */
  setPresence(bytes) {
    this.delivery.setPresence(bytes);
    this.pump();
  }

  /** Writes records while the active path is ready and has room. One pump
   * at a time, so one frame's records never interleave with another's. */
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
        let record;
        try {
          record = this.delivery.write(path.session);
          if (record) path.write(record);
        } catch (err) {
          path.fail(err);
          continue;
        }
        if (!record) break;
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

  // -------------------------------------------------------------- inbound

  /** One record from a path's session (decrypted, decoded and delivered in
   * one wasm call), then what the delivery machine asks for. */
  receive(path, record) {
    this.delivery.receive(path.session, path.decoder, record);
    this.dispatch(path.kind);
  }

  /** Performs the delivery machine's events. */
  dispatch(pathKind) {
    let events;
    try { events = this.delivery.events(); } catch (err) { this.close(err); return; }
    let acked = false;
    for (const ev of events) {
      switch (ev.kind) {
        case EVENT.MESSAGE:
          if (ev.arg === KIND.GOSSIP) this.peer.pubsub?.receive(this.remoteId, ev.data);
          else if (ev.arg === KIND.SIGNAL) this.peer.meshSignal(this, ev.data);
          else if (ev.arg === KIND.ORDERBOOK_SYNC || ev.arg === KIND.ORDERBOOK_REQUEST || ev.arg === KIND.ORDERBOOK_RESPONSE) this.peer.orderbookFrame(this.remoteId, ev.arg, ev.data);
          else if (TRADE_FRAMES.has(ev.arg)) this.peer.tradeFrame(this.remoteId, ev.arg, ev.data);
          else this.peer.deliver(this.remoteId, ev.data, ev.len, pathKind);
          break;
        case EVENT.SENT: acked = this.settle1(ev.arg, null) || acked; break;
        case EVENT.FAILED: this.settle1(ev.arg, this.closeReason); break;
        case EVENT.PRESENCE: this.peer.emit('presence', { peerId: this.remoteId, status: ev.data }); break;
        case EVENT.DISCONNECT: this.close(new StarlingError('PEER_LEFT', 'the peer closed')); break;
        case EVENT.WRITE: this.pump(); break;
        case EVENT.TIMER:
          clearTimeout(this.ackTimer);
          this.ackTimer = setTimeout(() => { this.ackTimer = 0; this.delivery.timer(); this.dispatch(pathKind); }, ev.ms);
          break;
        case EVENT.OUT_OF_ORDER: this.peer.countOutOfOrder(); break;
        default: break;
      }
    }
    if (acked && this.idle()) this.settled.splice(0).forEach((resolve) => resolve());
  }

  /** Settles one send() promise: resolved if err is null, else rejected. */
  settle1(handle, err) {
    const p = this.pending.get(handle);
    if (!p) return false;
    this.pending.delete(handle);
    if (err) {
      p.reject(err);
    } else {
      this.peer.countSent(p.len);
      p.resolve();
    }
    return true;
  }

  /** Nothing of ours is waiting: every message sent was acknowledged. */
  idle() { return this.delivery.idle; }

  /** Message bytes held: queued, in flight or waiting to be resent. */
  get heldBytes() { return this.delivery.heldBytes; }

  /** Before a goodbye: acknowledge at once what we delivered (a delayed ACK
   * would be lost with the link, and the sender would report a delivered
   * message as failed), then wait up to ms for the other end to acknowledge
   * what we sent. Resolves true if nothing of ours is left unacknowledged. */
  async settle(ms) {
    clearTimeout(this.ackTimer);
    this.ackTimer = 0;
    this.delivery.ackNow();
    this.dispatch(this.active?.kind);
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
    if (!path?.ready) return;
    const gone = new Promise((resolve) => { this.left = resolve; });
    if (!this.sayGoodbye(path)) return;
    this.leaving = true;
    if (path.kind === 'direct') await withTimeout(gone, ms);
  }

  /** Best effort: tells the other end we are leaving, with anything
   * delivered since settle() acknowledged in the same record. Not between
   * two records of one frame. True if it was written. */
  sayGoodbye(path) {
    try {
      const record = this.delivery.goodbye(path.session);
      if (record) path.write(record);
      return !!record;
    } catch {
      return false; // closing anyway
    }
  }

  /** Ends the link: every message still held is rejected with `reason`. */
  close(reason) {
    if (this.closed) return;
    this.closed = true;
    for (const t of [...this.timers.values(), this.ackTimer, this.absentTimer, this.meshTimer]) clearTimeout(t);
    this.timers.clear();
    this.state.free();
    this.closeReason = reason ?? new StarlingError('PEER_DISCONNECTED', 'peer disconnected');
    this.peer.countDropped(this.delivery.close());
    try {
      for (const ev of this.delivery.events()) if (ev.kind === EVENT.FAILED) this.settle1(ev.arg, this.closeReason);
    } catch { /* out of memory: the pending map below still settles every send() */ }
    for (const p of this.pending.values()) p.reject(this.closeReason); // none left unless out of memory
    this.pending.clear();
    this.delivery.free();
    this.settled.splice(0).forEach((resolve) => resolve());
    for (const path of [this.direct, this.relay]) path?.close();
    this.direct = this.relay = this.active = null;
    this.peer.disconnected(this, reason);
  }
}
