// Discovery formats against js-libp2p's own code: multiaddrs against
// @multiformats/multiaddr, our announcements against
// @libp2p/pubsub-peer-discovery's Peer codec, our signed peer records
// against @libp2p/peer-record (each way).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Identity, multiaddrToBytes, multiaddrFromBytes, encodeAnnouncement, decodeAnnouncement, sealPeerRecord, openPeerRecord } from '../../js-glue/index.js';
import { multiaddr } from '@multiformats/multiaddr';
import { RecordEnvelope, PeerRecord } from '@libp2p/peer-record';
import { generateKeyPair, privateKeyFromRaw, publicKeyToProtobuf, publicKeyFromProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id';

// The package's codec is not in its exports map: imported by path.
const { Peer: PBPeer } = await import(new URL('../../node_modules/@libp2p/pubsub-peer-discovery/dist/src/peer.js', import.meta.url));

before(() => init());

const id = () => Identity.generate();
const addrsOf = (peerId) => [
  `/dns4/hub.example.org/tcp/443/wss/p2p/${peerId}`,
  '/ip4/127.0.0.1/tcp/8787/ws',
  `/dns4/hub.example.org/tcp/443/wss/p2p/${peerId}/p2p-circuit/p2p/${peerId}`,
  `/webrtc/p2p/${peerId}`,
];

/** A libp2p private key for one of our identities (same seed). */
async function libp2pKey() {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const ours = Identity.fromSeed(seed);
  const theirs = await generateKeyPair('Ed25519');
  return { ours, theirs, seed };
}

test('multiaddrs: our binary form is @multiformats/multiaddr\'s, both ways', () => {
  const peerId = id().peerId;
  const list = [...addrsOf(peerId), '/ip4/10.1.2.3/udp/4001/quic-v1', '/dns/a.b/tcp/1/tls/ws', '/dns6/x/tcp/65535/wss', '/webrtc-direct'];
  for (const text of list) {
    const theirs = multiaddr(text);
    assert.deepEqual(multiaddrToBytes(text), theirs.bytes, text);
    assert.equal(multiaddrFromBytes(theirs.bytes), theirs.toString(), text);
  }
  for (const bad of ['', '/', '/ip4/300.1.1.1', '/tcp/99999', '/nope/1', 'ip4/1.2.3.4', '/p2p/not-base58!']) {
    assert.throws(() => multiaddrToBytes(bad), { code: 'MULTIADDR_INVALID' }, bad);
  }
  // An address in a protocol we do not read (ip6) is refused as bytes too.
  assert.throws(() => multiaddrFromBytes(multiaddr('/ip6/::1/tcp/1').bytes), { code: 'MULTIADDR_INVALID' });
});

test('announcements: ours decode with pubsub-peer-discovery\'s codec, theirs with ours', async () => {
  const me = id();
  const addrs = addrsOf(me.peerId);
  const theirView = PBPeer.decode(encodeAnnouncement(me, addrs));
  assert.equal(peerIdFromPublicKey(publicKeyFromProtobuf(theirView.publicKey)).toString(), me.peerId);
  assert.deepEqual(theirView.addrs.map((b) => multiaddr(b).toString()), addrs);

  const key = await generateKeyPair('Ed25519');
  const theirs = PBPeer.encode({ publicKey: publicKeyToProtobuf(key.publicKey), addrs: [...addrs, '/ip6/::1/tcp/4001'].map((a) => multiaddr(a).bytes) });
  const ours = decodeAnnouncement(theirs);
  assert.equal(ours.peerId, peerIdFromPrivateKey(key).toString());
  assert.deepEqual(ours.multiaddrs, addrs, 'the ip6 address we cannot dial is left out');
  assert.throws(() => decodeAnnouncement(theirs.subarray(0, 20)), { code: 'DISCOVERY_MALFORMED' });
  assert.throws(() => decodeAnnouncement(new Uint8Array(9000)), { code: 'DISCOVERY_MALFORMED' });
});

test('signed peer records: ours open with @libp2p/peer-record, theirs with ours', async () => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const me = Identity.fromSeed(seed);
  const addrs = addrsOf(me.peerId);
  const sealed = sealPeerRecord(me, 7, addrs);
  const env = await RecordEnvelope.openAndCertify(sealed, PeerRecord.DOMAIN);
  const rec = PeerRecord.createFromProtobuf(env.payload);
  assert.equal(rec.peerId.toString(), me.peerId);
  assert.equal(rec.seqNumber, 7n);
  assert.deepEqual(rec.multiaddrs.map((m) => m.toString()), addrs);

  // The same key in js-libp2p (a libp2p Ed25519 private key is seed || public key).
  const key = privateKeyFromRaw(new Uint8Array([...seed, ...me.publicKey]));
  const peerId = peerIdFromPrivateKey(key);
  assert.equal(peerId.toString(), me.peerId);
  const theirs = await RecordEnvelope.seal(new PeerRecord({ peerId, seqNumber: 1234567890123n, multiaddrs: addrs.map((a) => multiaddr(a)) }), key);
  const opened = openPeerRecord(theirs.marshal());
  assert.deepEqual(opened, { peerId: me.peerId, seq: 1234567890123, multiaddrs: addrs });

  // Tampered: a flipped byte in the payload or signature does not open.
  const bad = theirs.marshal().slice();
  bad[bad.length - 10] ^= 1;
  assert.throws(() => openPeerRecord(bad), { code: 'PEER_RECORD_INVALID' });
  const other = await generateKeyPair('Ed25519');
  const wrong = await RecordEnvelope.seal(new PeerRecord({ peerId, seqNumber: 1n, multiaddrs: [] }), other);
  assert.throws(() => openPeerRecord(wrong.marshal()), { code: 'PEER_RECORD_INVALID' }, 'a record signed by another key than its peer id');
});
