// Identity: peer ids against @libp2p/peer-id, signatures against
// libsodium-wrappers and @libp2p/crypto.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import sodium from 'libsodium-wrappers';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys';
import { init, Identity, StarlingError } from '../../js-glue/index.js';

before(async () => {
  await init();
  await sodium.ready;
});

const seedFor = (i) => Uint8Array.from({ length: 32 }, (_, j) => (i * 131 + j * 17 + (i >> 3)) & 0xff);

test('peer ids equal @libp2p/peer-id for 128 seeds, and parse back', async () => {
  for (let i = 0; i < 128; i++) {
    const seed = i === 0 ? crypto.getRandomValues(new Uint8Array(32)) : seedFor(i);
    const ours = Identity.fromSeed(seed);
    const theirs = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed));
    assert.equal(ours.peerId, theirs.toString());
    assert.match(ours.peerId, /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
    assert.deepEqual(ours.publicKey, theirs.publicKey.raw);
    assert.equal(Identity.peerIdFromPublicKey(ours.publicKey), ours.peerId);
    assert.deepEqual(Identity.publicKeyFromPeerId(theirs.toString()), ours.publicKey);
    assert.deepEqual(peerIdFromString(ours.peerId).publicKey.raw, ours.publicKey);
    ours.free();
  }
});

test('generated identities are distinct and restorable from their seed', () => {
  const a = Identity.generate();
  const b = Identity.generate();
  assert.notEqual(a.peerId, b.peerId);
  const again = Identity.fromSeed(a.seed);
  assert.equal(again.peerId, a.peerId);
  [a, b, again].forEach((x) => x.free());
});

test('signatures verify both ways against libsodium-wrappers', () => {
  for (let i = 0; i < 50; i++) {
    const msg = crypto.getRandomValues(new Uint8Array(i * 13));
    const ours = Identity.fromSeed(seedFor(i));
    const sig = ours.sign(msg);
    assert.ok(sodium.crypto_sign_verify_detached(sig, msg, ours.publicKey));
    const kp = sodium.crypto_sign_seed_keypair(seedFor(i + 1000));
    const theirSig = sodium.crypto_sign_detached(msg, kp.privateKey);
    assert.ok(Identity.verify(kp.publicKey, msg, theirSig));
    theirSig[i % 64] ^= 1;
    assert.equal(Identity.verify(kp.publicKey, msg, theirSig), false);
    assert.equal(Identity.verify(kp.publicKey, msg, sig), false);
    ours.free();
  }
});

test('signatures verify against @libp2p/crypto keys', async () => {
  const key = await generateKeyPairFromSeed('Ed25519', seedFor(7));
  const ours = Identity.fromSeed(seedFor(7));
  const msg = new TextEncoder().encode('libp2p interop');
  assert.ok(await publicKeyFromRaw(ours.publicKey).verify(msg, ours.sign(msg)));
  assert.ok(Identity.verify(key.publicKey.raw, msg, await key.sign(msg)));
  ours.free();
});

test('malformed peer ids are rejected with stable codes', () => {
  const id = Identity.generate();
  const bad = [
    '', 'hello', id.peerId.slice(0, 51), id.peerId + 'x', id.peerId.replace(/.$/, '0'),
    id.peerId.replace(/^1/, 'l'), 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N',
  ];
  for (const s of bad) {
    assert.throws(() => Identity.publicKeyFromPeerId(s), (e) => e instanceof StarlingError &&
      ['PEER_ID_INVALID', 'PUBLIC_KEY_INVALID'].includes(e.code), s);
  }
  assert.throws(() => Identity.publicKeyFromPeerId(42), TypeError);
  assert.throws(() => Identity.fromSeed(new Uint8Array(31)), TypeError);
  id.free();
});

test('a freed identity refuses to sign', () => {
  const id = Identity.generate();
  id.free();
  id.free(); // idempotent
  assert.throws(() => id.sign('x'), (e) => e.code === 'BAD_STATE');
});
