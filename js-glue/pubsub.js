// pubsub.js — peer.pubsub: the C gossip router (gossip.js) run over the
// peer's links. Every link that has connected once is a gossip peer until
// it closes (a path change, direct to relay or back, is not a disconnect);
// each RPC travels as one GOSSIP frame in the link's delivery stream, so it
// shares the link's sequence, ACKs and resend across path changes.
import { GossipRouter } from './gossip.js';
import { KIND } from './delivery.js';

// An RPC must fit one sequenced frame: the 256 KiB frame cap less the
// frame's sequence header (SL_DELIVERY_MAX_BODY).
const RPC_MAX_BYTES = 256 * 1024 - 5;
const TICK_MS = 100;

export class PubSub {
  #peer;
  #router;
  #dropped = 0; // RPCs a link's queue refused (full or closing)

  /** @internal created by the Peer; options: GossipRouterOptions but identity / send. */
  constructor(peer, options = {}) {
    this.#peer = peer;
    this.#router = new GossipRouter({ maxRpcBytes: RPC_MAX_BYTES, ...options, identity: peer.identity, send: (peerId, rpc) => this.#send(peerId, rpc) });
    this.#router.addEventListener('message', (e) => {
      const { topic, from, id, data } = e.detail;
      peer.emit('gossip:message', { topic, from, id, data });
    });
    for (const type of ['refused', 'graylisted']) {
      this.#router.addEventListener(type, (e) => peer.emit(`gossip:${type}`, e.detail));
    }
    this.#router.start(TICK_MS);
  }

  /** @internal the router itself (discovery listens to its events). */
  get router() { return this.#router; }

  #send(peerId, rpc) {
    const link = this.#peer._link(peerId);
    if (!link?.sendQuiet(rpc, KIND.GOSSIP)) this.#dropped++;
  }

  subscribe(topic) { this.#router.subscribe(topic); }
  unsubscribe(topic) { this.#router.unsubscribe(topic); }

  /**
   * Signs and sends data on topic; resolves to { id, recipients }.
   * Rejects with GOSSIP_NO_PEERS when no connected peer would receive it
   * (unless allowNoPeers: it then waits in the message cache for gossip).
   */
  async publish(topic, data, opts) { return this.#router.publish(topic, data, opts); }

  addValidator(topic, fn) { this.#router.addValidator(topic, fn); }
  getTopics() { return this.#router.getTopics(); }
  getSubscribers(topic) { return this.#router.getSubscribers(topic); }
  getMeshPeers(topic) { return this.#router.getMeshPeers(topic); }
  score(peerId) { return this.#router.score(peerId); }
  /** @internal for the connection manager. */
  pruneOrder() { return this.#router.pruneOrder(); }
  /** @internal a neighbour's signed peer record, for peer exchange. */
  setPeerRecord(peerId, envelope) {
    try {
      this.#router.setPeerRecord(peerId, envelope);
    } catch (err) {
      if (err.code !== 'GOSSIP_UNKNOWN_PEER') throw err; // kept on the link until peerUp()
    }
  }
  setAppScore(peerId, score) { this.#router.setAppScore(peerId, score); }

  /** @internal a link connected for the first time / closed. */
  peerUp(link) {
    this.#router.addPeer(link.remoteId, { outbound: link.offerer });
    if (link.peerRecord) this.#router.setPeerRecord(link.remoteId, link.peerRecord);
  }
  peerDown(link) { this.#router.removePeer(link.remoteId); }

  /** @internal one GOSSIP frame from a link. */
  receive(peerId, rpc) {
    try {
      this.#router.receive(peerId, rpc);
    } catch (err) {
      // Not a gossip peer (yet): its link delivered before connected() ran.
      if (err.code !== 'GOSSIP_UNKNOWN_PEER') throw err;
    }
  }

  /** Counters for metrics(). */
  metrics() {
    return { ...this.#router.stats(), dropped: this.#dropped, topics: this.#router.getTopics().length };
  }

  close() { this.#router.close(); }
}
