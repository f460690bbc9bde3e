// TURN credentials from the hub (coturn's shared-secret scheme): what the
// hub hands out, checked against an HMAC computed here; that coturn takes
// them is shown in nat.test.js, which connects through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startHub, turnCredential } from '../../js-glue/hub.js';
import { init, Identity, createPeer } from '../../js-glue/index.js';
import { hs256, claimsFor } from './helpers/jwt.js';
import { within, until } from './helpers/wait.js';

const SECRET = 'turn-test-jwt-secret-0123456789abcdef';
const TURN = { secret: 'turn-shared-secret-0123', urls: ['stun:turn.example.com:3478', 'turn:turn.example.com:3478?transport=udp'], ttlSeconds: 600 };

test('turnCredential: username "<expiry>:<user>", password base64 HMAC-SHA1 of it', () => {
  const { username, credential } = turnCredential('s3cret-s3cret-s3cret', 'alice', 3600, 1_700_000_000_000);
  assert.equal(username, '1700003600:alice');
  assert.equal(credential, createHmac('sha1', 's3cret-s3cret-s3cret').update('1700003600:alice').digest('base64'));
});

test('startHub refuses a bad turn option before starting anything', async () => {
  const bad = [{ secret: 'short', urls: TURN.urls }, { secret: TURN.secret, urls: [] }, { secret: TURN.secret, urls: ['http://x'] },
    { secret: TURN.secret, urls: TURN.urls, ttlSeconds: 5 }, 'turn:x'];
  for (const turn of bad) {
    await assert.rejects(startHub({ jwtSecret: SECRET, turn }), (err) => err.code === 'INVALID_OPTION' && /turn\./.test(err.message), JSON.stringify(turn));
  }
});

test('an authenticated peer gets the TURN servers with fresh credentials, used for its direct paths', async () => {
  await init();
  const hub = await startHub({ jwtSecret: SECRET, turn: TURN });
  const identity = Identity.generate();
  const own = { urls: 'stun:own.example.com:3478' };
  const peer = await createPeer({ hubUrl: hub.url, identity, token: hs256(claimsFor(identity), SECRET), iceServers: [own] });
  try {
    await within(5000, until(() => peer.iceServers.length === 2), () => `iceServers: ${JSON.stringify(peer.iceServers)}`);
    const [first, turn] = peer.iceServers;
    assert.deepEqual(first, own, "the application's own servers come first");
    assert.deepEqual(turn.urls, TURN.urls);
    const [expiry, user] = turn.username.split(':');
    assert.equal(user, peer.peerId, 'the credential names the peer');
    const ttl = Number(expiry) - Date.now() / 1000;
    assert.ok(ttl > TURN.ttlSeconds - 5 && ttl <= TURN.ttlSeconds + 1, `expires in ${ttl} s`);
    assert.equal(turn.credential, createHmac('sha1', TURN.secret).update(turn.username).digest('base64'));
    assert.match(hub.metrics(), /^starling_hub_turn_credentials_total 1$/m);
  } finally {
    await peer.close();
    await hub.close();
  }
});

test('a hub without turn sends no ice-servers', async () => {
  await init();
  const hub = await startHub({ jwtSecret: SECRET });
  const identity = Identity.generate();
  const peer = await createPeer({ hubUrl: hub.url, identity, token: hs256(claimsFor(identity), SECRET) });
  try {
    await new Promise((ok) => setTimeout(ok, 200));
    assert.deepEqual(peer.iceServers, []);
    assert.match(hub.metrics(), /^starling_hub_turn_credentials_total 0$/m);
  } finally {
    await peer.close();
    await hub.close();
  }
});
