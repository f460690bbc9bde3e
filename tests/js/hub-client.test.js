// The peer's hub connection: C dials the real hub through the Emscripten
// WebSocket API (over the `ws` client in Node), answers the challenge,
// joins rooms and hears about other peers; failures reject with codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { init, Identity, connectHub, StarlingError } from '../../js-glue/index.js';
import { startHub } from '../../js-glue/hub.js';
import { hs256, claimsFor } from './helpers/jwt.js';

const SECRET = 'hub-client-test-secret-0123456789abcdef';
let hub;
before(async () => {
  await init();
  hub = await startHub({ jwtSecret: SECRET });
});
after(() => hub?.close());

const token = (id, extra = {}) => hs256(claimsFor(id, extra), SECRET);
const nextEvent = (target, type, ms = 3000) => new Promise((ok, bad) => {
  const t = setTimeout(() => bad(new Error(`no ${type} event`)), ms);
  target.addEventListener(type, (e) => { clearTimeout(t); ok(e.detail); }, { once: true });
});

test('connectHub authenticates, joins a room and sees other peers come and go', async () => {
  const a = Identity.generate();
  const b = Identity.generate();
  const ca = await connectHub({ hubUrl: hub.url, token: token(a), identity: a });
  assert.equal(ca.peerId, a.peerId);
  const listA = nextEvent(ca, 'peer-list');
  ca.join('lobby');
  assert.deepEqual((await listA).payload.peers, []);
  const cb = await connectHub({ hubUrl: hub.url, token: token(b), identity: b });
  const joined = nextEvent(ca, 'peer-joined');
  const listB = nextEvent(cb, 'peer-list');
  cb.join('lobby');
  assert.deepEqual((await listB).payload.peers, [a.peerId]);
  assert.equal((await joined).from, b.peerId);
  const offer = new Promise((ok) => cb.addEventListener('signal', (e) => { if (e.detail.type === 'offer') ok(e.detail); }));
  ca.signal('offer', b.peerId, { type: 'offer', sdp: 'v=0\r\n' });
  const got = await offer;
  assert.equal(got.from, a.peerId);
  assert.deepEqual(got.payload, { type: 'offer', sdp: 'v=0\r\n' });
  const ready = new Promise((ok) => cb.addEventListener('signal', (e) => { if (e.detail.type === 'relay-ready') ok(e.detail); }));
  ca.signal('relay-open', b.peerId);
  assert.equal((await ready).from, a.peerId);
  assert.throws(() => ca.signal('offer', 'nobody', {}), (e) => e.code === 'MESSAGE_FIELD');
  assert.throws(() => ca.signal('offer', b.peerId), (e) => e.code === 'MESSAGE_FIELD');
  assert.throws(() => ca.signal('join', b.peerId, {}), TypeError);
  const left = nextEvent(ca, 'peer-left');
  cb.leave('lobby');
  assert.equal((await left).from, b.peerId);
  const errored = nextEvent(ca, 'hub:error');
  ca.leave('not-joined');
  assert.equal((await errored).code, 'NOT_IN_ROOM');
  assert.throws(() => ca.join('bad room'), (e) => e.code === 'MESSAGE_FIELD');
  ca.close();
  cb.close();
  assert.throws(() => ca.join('lobby'), (e) => e.code === 'BAD_STATE');
});

test('refusals reject with the hub\'s code', async () => {
  const id = Identity.generate();
  await assert.rejects(connectHub({ hubUrl: hub.url, token: token(id, { exp: 1 }), identity: id }),
    (e) => e instanceof StarlingError && e.code === 'JWT_EXPIRED');
  const other = Identity.generate();
  await assert.rejects(connectHub({ hubUrl: hub.url, token: token(other), identity: id }),
    (e) => e.code === 'AUTH_PROOF_INVALID'); // a token for another key: our signature cannot match
});

test('ws:// is refused except to loopback unless allowed; bad URLs are refused before dialling', async () => {
  const id = Identity.generate();
  await assert.rejects(connectHub({ hubUrl: 'ws://hub.example.com/signaling', token: 't', identity: id }),
    (e) => e.code === 'HUB_URL_INSECURE');
  await assert.rejects(connectHub({ hubUrl: 'https://hub.example.com', token: 't', identity: id }),
    (e) => e.code === 'HUB_URL_INVALID');
  await assert.rejects(connectHub({ hubUrl: 'ws://127.0.0.1:9', token: 't', identity: id, timeoutMs: 3000 }),
    (e) => ['HUB_UNREACHABLE', 'HUB_CLOSED'].includes(e.code)); // nothing listens on port 9
});
