// reputation.js — what this peer thinks of other peers, from how their
// trades ended and what they sent: a score per peer id that decays toward
// zero (half-life a week by default), kept in the trade storage. Below
// `refuseBelow` their proposals are rejected and we propose nothing to
// them; below `banBelow` they are banned: their trade messages are
// dropped and views hide their orders.

/** Points per event (negative: a fault). */
export const REPUTATION_POINTS = {
  completed: 10,       // a trade completed with them
  timeout: -10,        // they let a step time out while we waited on them
  canceled: -5,        // they cancelled after accepting
  invalid: -20,        // a message they signed broke the protocol
  terms: -50,          // a PSBT that did not pay what was agreed
  gossip: -5,          // an orderbook fault (bad order, bad sync)
};

const LIMIT = 10000; // peers remembered; the least known go first

export class Reputation extends EventTarget {
  #peers = new Map(); // peer id -> { score, at, counts }
  #opts;
  #save;

  /**
   * halfLifeMs (default 7 days), refuseBelow (default -30), banBelow
   * (default -100), clock; save(bytes) is called after every change.
   */
  constructor({ halfLifeMs = 7 * 24 * 3600 * 1000, refuseBelow = -30, banBelow = -100, clock = () => Date.now(), save = null } = {}) {
    super();
    if (!(halfLifeMs > 0)) throw new RangeError('halfLifeMs must be positive');
    if (!(banBelow <= refuseBelow)) throw new RangeError('banBelow must not be above refuseBelow');
    this.#opts = { halfLifeMs, refuseBelow, banBelow, clock };
    this.#save = save;
  }

  #decayed(p, now) {
    const dt = Math.max(0, now - p.at);
    return p.score * 0.5 ** (dt / this.#opts.halfLifeMs);
  }

  /** Records an event (a key of REPUTATION_POINTS) for peerId. */
  record(peerId, event) {
    const points = REPUTATION_POINTS[event];
    if (points === undefined) throw new TypeError(`unknown reputation event ${event}`);
    const now = this.#opts.clock();
    const p = this.#peers.get(peerId) ?? { score: 0, at: now, counts: {} };
    p.score = this.#decayed(p, now) + points;
    p.at = now;
    p.counts[event] = (p.counts[event] ?? 0) + 1;
    this.#peers.delete(peerId); // most recent last: the oldest go first past LIMIT
    this.#peers.set(peerId, p);
    if (this.#peers.size > LIMIT) this.#peers.delete(this.#peers.keys().next().value);
    this.#save?.(this.toBytes());
    this.dispatchEvent(new CustomEvent('change', { detail: { peerId, event, ...this.of(peerId) } }));
  }

  /** { score, refused, banned, counts } for peerId (score 0 for strangers). */
  of(peerId) {
    const p = this.#peers.get(peerId);
    const score = p ? this.#decayed(p, this.#opts.clock()) : 0;
    return { score, refused: score < this.#opts.refuseBelow, banned: score < this.#opts.banBelow, counts: { ...(p?.counts ?? {}) } };
  }

  refuses(peerId) { return this.of(peerId).refused; }
  bans(peerId) { return this.of(peerId).banned; }

  toBytes() {
    return new TextEncoder().encode(JSON.stringify({ v: 1, peers: [...this.#peers] }));
  }

  /** Takes back what toBytes() gave (ignores what it cannot read). */
  load(bytes) {
    try {
      const j = JSON.parse(new TextDecoder().decode(bytes));
      if (j?.v !== 1 || !Array.isArray(j.peers)) return;
      for (const [id, p] of j.peers.slice(-LIMIT)) {
        if (typeof id === 'string' && Number.isFinite(p?.score) && Number.isFinite(p?.at)) this.#peers.set(id, { score: p.score, at: p.at, counts: p.counts ?? {} });
      }
    } catch { /* a damaged file: start afresh */ }
  }
}
