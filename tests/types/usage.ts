// Compiled with `tsc --noEmit --strict` by tests/js/types.test.js: the
// shipped .d.ts must describe real usage without casts.
import {
  init, Identity, Handshake, Session, encodeFrame, encodeFrames, FrameDecoder, FrameType,
  FrameError, StarlingError, RECORD_MAX_PLAINTEXT, type Frame, connectHub, type HubSignal, createPeer,
  DISCOVERY_TOPIC, multiaddrToBytes, multiaddrFromBytes, sealPeerRecord, openPeerRecord, type DiscoveredPeer, type DiscoveryHow,
  GossipRouter, Orderbook, openOrder, orderbookTopic, type Order, type Fill,
} from 'starling';
import { startHub, mintToken, turnCredential, type Hub } from 'starling/hub';

async function main(): Promise<void> {
  await init();
  await init({ wasm: new URL('./starling_core.wasm', 'file:///x/') });
  const me: Identity = Identity.fromSeed(new Uint8Array(32));
  const peer: string = me.peerId;
  const sig: Uint8Array = me.sign('hello');
  const ok: boolean = Identity.verify(me.publicKey, 'hello', sig);
  const pk: Uint8Array = Identity.publicKeyFromPeerId(peer);

  const frame: Uint8Array = encodeFrame(FrameType.DATA, 'x');
  const many: Uint8Array = encodeFrames([{ type: FrameType.ACK }, { type: FrameType.PING, payload: frame }]);
  const dec = new FrameDecoder({ maxPayload: 1024 });
  try {
    const frames: Frame[] = dec.push(many);
    for (const f of frames) if (f.type === FrameType.DATA) console.log(f.payload.length);
  } catch (e) {
    if (e instanceof FrameError) console.log(e.code, e.frames.length);
    else if (e instanceof StarlingError) console.log(e.errno);
  }

  const hs = new Handshake({ identity: me, initiator: true, prologue: new Uint8Array(4), remotePeerId: peer });
  const m1: Uint8Array = hs.writeMessage();
  const payload: Uint8Array = hs.readMessage(m1);
  const who: string | null = hs.remotePeerId;
  const session: Session = hs.split();
  const rec: Uint8Array = session.encrypt(new Uint8Array(RECORD_MAX_PLAINTEXT));
  session.decrypt(rec);
  console.log(ok, pk, payload, who);
  session.free();
  const hub: Hub = await startHub({ jwtSecret: 'x'.repeat(32), port: 0, messageRate: 50, turn: { secret: 's'.repeat(16), urls: ['turn:turn.example.com:3478'], ttlSeconds: 600 } });
  const cred: { username: string; credential: string } = turnCredential('s'.repeat(16), 'user', 600);
  console.log(cred.username);
  const conn = await connectHub({ hubUrl: hub.url, token: 't', identity: me });
  conn.addEventListener('peer-joined', (e) => console.log((e as CustomEvent<HubSignal>).detail.from));
  conn.join('lobby');
  conn.close();
  const p2p = await createPeer({ hubUrl: hub.url, token: 't', identity: me, iceTransportPolicy: 'all' });
  p2p.addEventListener('message', (e) => console.log((e as CustomEvent<{ from: string; data: string | Uint8Array }>).detail.from));
  p2p.addEventListener('connection:fallback', (e) => { const reason: string = e.detail.reason; console.log(reason); });
  p2p.addEventListener('peer:connect', (e) => { const path: 'direct' | 'turn' | 'relay' = e.detail.path; console.log(path); });
  const firstConn = p2p.connections()[0];
  if (firstConn?.candidates) { const local: string = firstConn.candidates.local; console.log(local); }
  console.log(p2p.iceServers.map((s) => s.urls), p2p.metrics().connections.turn, p2p.metrics().connectionsOpened.turn);
  await p2p.send('12D3KooW...', 'hello');
  await p2p.send('12D3KooW...', new Uint8Array(1), { priority: 'high' });
  p2p.setPresence('away');
  console.log(p2p.metrics().connections.direct, p2p.metrics().queue.rejected, p2p.connections());
  const ps = p2p.pubsub;
  if (ps) {
    ps.subscribe('chat');
    ps.addValidator('chat', async (m) => (m.data.length > 0 ? 'accept' : 'reject'));
    const { id, recipients }: { id: string; recipients: number } = await ps.publish('chat', 'hi', { allowNoPeers: true });
    console.log(id, recipients, ps.getMeshPeers('chat'), ps.getSubscribers(DISCOVERY_TOPIC), p2p.metrics().gossip?.delivered);
  }
  p2p.addEventListener('gossip:message', (e) => { const data: Uint8Array = e.detail.data; console.log(e.detail.topic, data); });
  p2p.addEventListener('peer:discovery', (e) => { const d: DiscoveredPeer = e.detail; console.log(d.how, d.multiaddrs); });
  await p2p.dial('12D3KooW...', { timeoutMs: 5000 });
  console.log(p2p.discovery?.list(), p2p.metrics().signalling.forwarded);
  const cm = p2p.connectionManager;
  if (cm) { cm.high = 8; cm.check(); console.log(cm.stats.pruned, p2p.metrics().connectionManager?.dials, p2p.metrics().discovery?.records.received); }
  const how: DiscoveryHow = 'px'; console.log(how);
  const book = p2p.orderbook('BTC-USDT', { sync: 'snapshot', limits: { makerSilenceMs: 60000 } });
  const placed = book.place({ side: 'bid', price: 6500000000000n, amount: '150000000', minFill: 1000, expiresIn: 60000, data: 'bc1q...' });
  book.addEventListener('order:removed', (e) => { const why: string = e.detail.reason; console.log(why, e.detail.id); });
  book.addEventListener('sync', (e) => console.log(e.detail.peerId, e.detail.received, e.detail.rounds, e.detail.bytes));
  const fills: Fill[] = book.match('ask', 10n, 0);
  const o: Order | null = book.get(placed.id);
  console.log(o?.remaining);
  const price: bigint | undefined = book.bestBid?.price;
  console.log(placed.message.length, fills, price, book.depth(5).bids[0]?.amount, book.digest(), book.topic, orderbookTopic('ETH-BTC'));
  const local = new Orderbook({ pair: 'ETH-BTC', identity: me, limits: { maxOpenPerMaker: 10 } });
  const r = local.receive(placed.message);
  if (!r.ok) console.log(r.error.code); else console.log(r.applied, r.added);
  console.log(local.update(placed.id, { price: 1n }).replaces, local.cancel(placed.id).target, openOrder(placed.message).id);
  local.close();
  const router = new GossipRouter({ identity: me, send: (to: string, rpc: Uint8Array) => console.log(to, rpc.length), acceptPxThreshold: 5 });
  router.setPeerRecord('12D3KooW...', sealPeerRecord(me, 2, []));
  const order: string[] = router.pruneOrder();
  console.log(order);
  const opened = openPeerRecord(sealPeerRecord(me, 1, [multiaddrFromBytes(multiaddrToBytes('/webrtc'))]));
  console.log(opened.peerId, opened.seq);
  await createPeer({ hubUrl: hub.url, token: 't', identity: me, gossip: { D: 8, floodPublish: false }, discovery: { announceMs: 5000 }, forwardSignals: false, connections: { low: 2, high: 8, max: 32, intervalMs: 1000 } });
  await createPeer({ hubUrl: hub.url, token: 't', identity: me, connections: false });
  const refreshing = await createPeer({ hubUrl: hub.url, token: async () => 't', identity: me, directTimeoutMs: 5000, maxQueueBytes: 1 << 20 });
  await refreshing.close();
  await p2p.close();
  const token: string = mintToken({ secret: 'x'.repeat(32), publicKey: me.publicKey, userId: 'u', ttlSeconds: 60 });
  console.log(token.length);
  await p2p.close({ timeoutMs: 100 });
  await hub.close();
  me.free();
}
void main();
