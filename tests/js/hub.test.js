// The hub over real WebSockets on 127.0.0.1: auth with HS256 and EdDSA
// tokens minted by Node's own crypto (an implementation independent of the
// C verifier), the challenge, rooms, forwarding, relay, and every kind of
// bad input answered with its code while well-behaved peers keep working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import WebSocket from 'ws';
import { init, Identity } from '../../js-glue/index.js';
import { startHub } from '../../js-glue/hub.js';
import { b64, hs256 as sign, claimsFor as baseClaims } from './helpers/jwt.js';
import { connect as connectRaw, login as loginRaw } from './helpers/raw-client.js';

const SECRET = 'test-secret-test-secret-test-secret!';
let hub;
before(async () => {
  await init();
  hub = await startHub({ jwtSecret: SECRET, audience: 'starling-test', tickMs: 50, authTimeoutMs: 300, messageRate: 20, messageBurst: 40 });
});
after(() => hub?.close());

const nowS = () => Math.floor(Date.now() / 1000);
const hs256 = (claims, { header, secret = SECRET } = {}) => sign(claims, secret, header);
const claimsFor = (id, extra = {}) => baseClaims(id, { aud: 'starling-test', ...extra });

const connect = (url = hub.url) => connectRaw(url);
const login = (id = Identity.generate(), token = hs256(claimsFor(id))) => loginRaw(hub.url, id, token);

test('two peers authenticate, meet in a room and exchange signaling with `from` set by the hub', async () => {
  const a = await login();
  const b = await login();
  a.send({ type: 'join', room: 'lobby', id: 'j1' });
  assert.deepEqual((await a.next((m) => m.type === 'peer-list')).payload.peers, []);
  b.send({ type: 'join', room: 'lobby' });
  assert.deepEqual((await b.next((m) => m.type === 'peer-list')).payload.peers, [a.id.peerId]);
  assert.equal((await a.next((m) => m.type === 'peer-joined')).from, b.id.peerId);
  a.send({ type: 'offer', from: 'forged', to: b.id.peerId, payload: { type: 'offer', sdp: 'v=0' } });
  const offer = await b.next((m) => m.type === 'offer');
  assert.equal(offer.from, a.id.peerId);
  assert.deepEqual(offer.payload, { type: 'offer', sdp: 'v=0' });
  b.send({ type: 'ice-candidate', to: a.id.peerId, payload: { candidate: 'c1' } });
  assert.equal((await a.next((m) => m.type === 'ice-candidate')).from, b.id.peerId);
  b.ws.close();
  assert.equal((await a.next((m) => m.type === 'peer-left')).from, b.id.peerId);
  a.ws.close();
});

test('relay: records are forwarded with the destination rewritten to the source', async () => {
  const a = await login();
  const b = await login();
  for (const c of [a, b]) { c.send({ type: 'join', room: 'relay-room' }); await c.next((m) => m.type === 'peer-list'); }
  a.send({ type: 'relay-open', to: b.id.peerId });
  const readyA = await a.next((m) => m.type === 'relay-ready');
  const readyB = await b.next((m) => m.type === 'relay-ready');
  assert.equal(readyA.payload.sessionId, readyB.payload.sessionId);
  assert.ok(readyA.payload.maxBytes > 0 && readyA.payload.maxSeconds > 0);
  const record = crypto.getRandomValues(new Uint8Array(1000));
  a.send(Buffer.concat([Buffer.of(1), b.id.publicKey, record]));
  const { binary } = await b.next((m) => m.binary);
  assert.equal(binary[0], 1);
  assert.deepEqual(binary.subarray(1, 33), a.id.publicKey);
  assert.deepEqual(binary.subarray(33), record);
  a.send(Buffer.of(7, 1, 2));
  await a.error('RELAY_BAD_FRAME');
  a.ws.close(); b.ws.close();
});

test('bad tokens are refused with their own codes and the socket is closed', async () => {
  const id = Identity.generate();
  const claims = claimsFor(id);
  const cases = [
    ['JWT_ALGORITHM', `${b64({ alg: 'none' })}.${b64(claims)}.`],
    ['JWT_ALGORITHM', hs256(claims, { header: { alg: 'HS512' } })],
    ['JWT_SIGNATURE', hs256(claims, { secret: 'another-secret-another-secret-!!!!' })],
    ['JWT_EXPIRED', hs256({ ...claims, exp: nowS() - 120 })],
    ['JWT_EXPIRED', hs256({ ...claims, exp: undefined })],
    ['JWT_NOT_YET_VALID', hs256({ ...claims, nbf: nowS() + 3600 })],
    ['JWT_AUDIENCE', hs256({ ...claims, aud: 'someone-else' })],
    ['JWT_CLAIMS', hs256({ ...claims, publicKey: 'AAAA' })],
    ['JWT_TOO_LARGE', hs256({ ...claims, padding: 'x'.repeat(5000) })],
    ['JWT_MALFORMED', 'not-a-jwt'],
  ];
  for (const [code, token] of cases) {
    const c = await connect();
    c.send({ type: 'auth', payload: { token } });
    await c.error(code);
    assert.ok(await c.closedWith(), code);
  }
});

test('a stolen token alone is useless: the challenge must be signed by its key', async () => {
  const victim = Identity.generate();
  const thief = Identity.generate();
  const c = await connect();
  c.send({ type: 'auth', payload: { token: hs256(claimsFor(victim)) } });
  const { payload } = await c.next((m) => m.type === 'challenge');
  const sig = thief.sign(Buffer.concat([Buffer.from('starling-hub-challenge:'), Buffer.from(payload.nonce, 'base64url')]));
  c.send({ type: 'auth-proof', payload: { signature: Buffer.from(sig).toString('base64url') } });
  await c.error('AUTH_PROOF_INVALID');
  assert.ok(await c.closedWith());
});

test('auth must come first and finish in time', async () => {
  const early = await connect();
  early.send({ type: 'join', room: 'x' });
  await early.error('AUTH_REQUIRED');
  const slow = await connect();
  await slow.error('AUTH_TIMEOUT');
  assert.ok(await slow.closedWith());
});

test('malformed, oversized, unknown and misdirected messages get codes; the peer stays connected', async () => {
  const a = await login();
  a.send('{not json');
  await a.error('MESSAGE_MALFORMED');
  a.send({ type: 'teleport' });
  await a.error('MESSAGE_TYPE');
  a.send({ type: 'join', room: 'has spaces' });
  await a.error('MESSAGE_FIELD');
  a.send({ type: 'join', room: 'r', payload: 'x'.repeat(70 * 1024) });
  await a.error('MESSAGE_TOO_LARGE');
  a.send({ type: 'offer', to: Identity.generate().peerId, payload: {}, id: 'o1' });
  assert.equal((await a.error('PEER_NOT_FOUND')).id, 'o1');
  a.send({ type: 'ping', id: 'still-here' });
  assert.equal((await a.next((m) => m.type === 'pong')).id, 'still-here');
  assert.equal(a.closed, null);
  a.ws.close();
});

test('a flood is rate limited, and a well-behaved pair keeps working meanwhile', async () => {
  const flooder = await login();
  const a = await login();
  const b = await login();
  for (const c of [a, b]) { c.send({ type: 'join', room: 'calm' }); await c.next((m) => m.type === 'peer-list'); }
  for (let i = 0; i < 300; i++) flooder.send({ type: 'ping' });
  await flooder.error('RATE_LIMITED');
  a.send({ type: 'answer', to: b.id.peerId, payload: { sdp: 'ok' } });
  assert.equal((await b.next((m) => m.type === 'answer')).payload.sdp, 'ok');
  for (const c of [flooder, a, b]) c.ws.close();
});

test('an EdDSA hub accepts EdDSA tokens and refuses HS256 ones', async () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const issuerKey = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const edHub = await startHub({ jwtPublicKey: issuerKey });
  try {
    const id = Identity.generate();
    const body = `${b64({ alg: 'EdDSA', typ: 'JWT' })}.${b64(claimsFor(id, { aud: undefined }))}`;
    const token = `${body}.${nodeSign(null, Buffer.from(body), privateKey).toString('base64url')}`;
    const ok = await connect(edHub.url);
    ok.send({ type: 'auth', payload: { token } });
    await ok.next((m) => m.type === 'challenge');
    const bad = await connect(edHub.url);
    bad.send({ type: 'auth', payload: { token: hs256(claimsFor(id)) } });
    await bad.error('JWT_ALGORITHM');
    ok.ws.close();
  } finally {
    await edHub.close();
  }
});

test('/health and /metrics report connections and rejections by reason', async () => {
  // Its own hub and its own traffic: nothing here depends on earlier tests.
  const own = await startHub({ jwtSecret: SECRET, messageRate: 5, messageBurst: 5 });
  try {
    const [a, b] = await Promise.all([Identity.generate(), Identity.generate()].map((id) => loginRaw(own.url, id, hs256(baseClaims(id)))));
    for (const c of [a, b]) { c.send({ type: 'join', room: 'm' }); await c.next((m) => m.type === 'peer-list'); }
    a.send({ type: 'relay-open', to: b.id.peerId });
    await b.next((m) => m.type === 'relay-ready');
    a.send(Buffer.concat([Buffer.of(1), b.id.publicKey, new Uint8Array(100)]));
    await b.next((m) => m.binary);
    for (let i = 0; i < 10; i++) a.send({ type: 'ping' });
    await a.error('RATE_LIMITED');
    const forger = await connectRaw(own.url);
    forger.send({ type: 'auth', payload: { token: hs256(baseClaims(a.id), { secret: 'another-secret-another-secret-12345' }) } });
    await forger.error('JWT_SIGNATURE');
    const health = await (await fetch(`${own.httpUrl}/health`)).json();
    assert.equal(health.status, 'ok');
    assert.ok(health.connections >= 2);
    const metrics = await (await fetch(`${own.httpUrl}/metrics`)).text();
    assert.match(metrics, /^# TYPE starling_hub_connections gauge$/m);
    assert.match(metrics, /^starling_hub_relayed_bytes_total 133$/m);
    assert.match(metrics, /^starling_hub_rejections_total\{reason="JWT_SIGNATURE"\} 1$/m);
    assert.match(metrics, /^starling_hub_rejections_total\{reason="RATE_LIMITED"\} [1-9]/m);
    assert.equal((await fetch(`${own.httpUrl}/dev/token`, { method: 'POST', body: '{}' })).status, 404); // dev is off
    a.ws.close(); b.ws.close();
  } finally {
    await own.close();
  }
});

test('startHub refuses a configuration without a key or with a short secret', async () => {
  await assert.rejects(startHub({}), TypeError);
  await assert.rejects(startHub({ jwtSecret: 'short' }), RangeError);
  await assert.rejects(startHub({ jwtSecret: SECRET, jwtSkewSeconds: 120 }), RangeError);
});

test('dev mode: /dev/token mints a token the hub accepts', async () => {
  const dev = await startHub({ jwtSecret: SECRET, dev: true });
  try {
    const id = Identity.generate();
    const res = await fetch(`${dev.httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ publicKey: Buffer.from(id.publicKey).toString('base64url'), userId: 'user-1' }) });
    const { token } = await res.json();
    const c = await connect(dev.url);
    c.send({ type: 'auth', payload: { token } });
    await c.next((m) => m.type === 'challenge');
    assert.equal((await fetch(`${dev.httpUrl}/dev/token`, { method: 'POST', body: 'nope' })).status, 400);
    c.ws.close();
  } finally {
    await dev.close();
  }
});
