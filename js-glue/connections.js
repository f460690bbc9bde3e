// connections.js — peer.connectionManager: keeps the number of connected
// peers between a low and a high water mark. Below the low mark it dials
// peers that discovery found (through the mesh, no hub needed); above the
// high mark it says goodbye to the lowest-scored links the gossip router
// can spare (never the last mesh member of a topic we subscribe to).
// Links the application asked for, peers in its hub rooms, are never
// pruned, and neither is a link with messages in flight. The hard cap
// bounds links that others open through mesh signalling and our dials.
import { StarlingError } from './errors.js';

const DEFAULTS = { low: 4, high: 16, max: 64, intervalMs: 5000 };
const DIALS_AT_ONCE = 2;        // dials in flight at a time
const REDIAL_AFTER_MS = 60000;  // a peer that failed, left or was pruned waits this long
const SOON_MS = 250;            // a check after a discovery or a disconnect, coalesced
const GOODBYE_MS = 500;

function count(value, fallback, name) {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`connections.${name} must be a non-negative integer`);
  return value;
}

export class ConnectionManager {
  #peer;
  #timer;
  #soon = null;
  #dialing = new Set();
  #pruning = new WeakSet(); // links saying goodbye
  #resting = new Map(); // peer id -> time before which we do not dial it
  #closed = false;
  stats = { dials: 0, dialsFailed: 0, pruned: 0 };

  /** @internal created by the Peer; options: { low, high, max, intervalMs }. */
  constructor(peer, opts = {}) {
    this.#peer = peer;
    this.low = count(opts.low, DEFAULTS.low, 'low');
    this.high = count(opts.high, DEFAULTS.high, 'high');
    this.max = count(opts.max, Math.max(DEFAULTS.max, this.high), 'max');
    if (this.low > this.high || this.high > this.max) throw new RangeError('connections: low <= high <= max');
    const intervalMs = count(opts.intervalMs, DEFAULTS.intervalMs, 'intervalMs');
    this.#timer = setInterval(() => this.check(), intervalMs || DEFAULTS.intervalMs);
    this.#timer.unref?.();
    peer.addEventListener('peer:discovery', () => this.#checkSoon());
    peer.addEventListener('peer:disconnect', (e) => {
      this.#rest(e.detail.peerId);
      this.#checkSoon();
    });
  }

  #checkSoon() {
    if (this.#soon || this.#closed) return;
    this.#soon = setTimeout(() => { this.#soon = null; this.check(); }, SOON_MS);
    this.#soon.unref?.();
  }

  #rest(peerId) { this.#resting.set(peerId, Date.now() + REDIAL_AFTER_MS); }

  /** Whether another link may be opened (the hard cap). */
  hasRoom(links) { return links < this.max; }

  /** One round: dial up to the low mark, prune down to the high mark. */
  check() {
    if (this.#closed) return;
    const connected = this.#peer.connections().length - this.#pruningCount();
    if (connected + this.#dialing.size < this.low) this.#dialMore(this.low - connected - this.#dialing.size);
    if (connected > this.high) this.#prune(connected - this.high);
  }

  #pruningCount() {
    let n = 0;
    for (const { peerId } of this.#peer.connections()) if (this.#pruning.has(this.#peer._link(peerId))) n++;
    return n;
  }

  #candidates() {
    const now = Date.now();
    for (const [id, until] of this.#resting) if (until <= now) this.#resting.delete(id);
    const peer = this.#peer;
    return (peer.discovery?.list() ?? []).filter(({ peerId, how }) =>
      how !== 'hub' && !this.#dialing.has(peerId) && !this.#resting.has(peerId) && !peer._link(peerId));
  }

  #dialMore(wanted) {
    const n = Math.min(wanted, DIALS_AT_ONCE - this.#dialing.size);
    for (const { peerId } of this.#candidates().slice(0, Math.max(0, n))) {
      this.#dialing.add(peerId);
      this.stats.dials++;
      this.#peer.dial(peerId).catch(() => {
        this.stats.dialsFailed++;
        this.#rest(peerId);
      }).finally(() => this.#dialing.delete(peerId));
    }
  }

  /** Links we may drop, in the router's order (lowest score first). */
  #spare() {
    const peer = this.#peer;
    const order = peer.pubsub ? peer.pubsub.pruneOrder() : peer.connections().map((c) => c.peerId);
    return order.map((id) => peer._link(id)).filter((l) => l?.active && l.rooms.size === 0 && l.heldBytes === 0 && !this.#pruning.has(l));
  }

  #prune(excess) {
    for (const link of this.#spare().slice(0, excess)) {
      this.stats.pruned++;
      this.#pruning.add(link);
      this.#rest(link.remoteId);
      const close = () => link.close(new StarlingError('CONNECTION_PRUNED', 'closed by the connection manager'));
      link.settle(GOODBYE_MS).then(() => link.leave(GOODBYE_MS)).then(close, close);
    }
  }

  close() {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
  }
}
