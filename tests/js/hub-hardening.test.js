// The hub under hostile load and bad configuration, over real sockets on
// 127.0.0.1: every case was reproduced against the hub before the fix.
// Each attack is bounded in count and time, and honest clients beside it
// must keep working.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { init, Identity } from '../../js-glue/index.js';
import { startHub, mintToken } from '../../js-glue/hub.js';
import { hs256, claimsFor } from './helpers/jwt.js';
import { connect, login } from './helpers/raw-client.js';

const SECRET = 'test-secret-test-secret-test-secret!';
const root = fileURLToPath(new URL('../..', import.meta.url));
before(() => init());

const token = (id, extra) => hs256(claimsFor(id, extra), SECRET);
const metric = async (h, name) => Number((await (await fetch(`${h.httpUrl}/metrics`)).text()).match(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+)`, 'm'))?.[1]);

/** A hub for one test, closed after it. */
async function withHub(opts, fn) {
  const h = await startHub({ jwtSecret: SECRET, tickMs: 50, ...opts });
  try { return await fn(h); } finally { await h.close(); }
}

/** Two honest clients in one room: a round trip through the hub, in ms. */
async function honestPair(h, room = 'lobby') {
  const ids = [Identity.generate(), Identity.generate()];
  const [x, y] = await Promise.all(ids.map((id) => login(h.url, id, token(id))));
  x.send({ type: 'join', room });
  await x.next((m) => m.type === 'peer-list');
  y.send({ type: 'join', room });
  await y.next((m) => m.type === 'peer-list');
  return {
    x, y,
    async roundTrip() {
      const t = performance.now();
      x.send({ type: 'offer', to: ids[1].peerId, payload: { t } });
      await y.next((m) => m.type === 'offer' && m.payload.t === t, 5000);
      return performance.now() - t;
    },
    close() { x.ws.close(); y.ws.close(); },
  };
}

test('startHub validates every option before starting anything, with coded errors', async () => {
  const bad = [
    [{ port: 70000 }, 'INVALID_OPTION'], [{ port: 1.5 }, 'INVALID_OPTION'], [{ port: 'abc' }, 'INVALID_OPTION'],
    [{ relayMaxBytes: Infinity }, 'INVALID_OPTION'], [{ messageRate: NaN }, 'INVALID_OPTION'],
    [{ staleMs: '100' }, 'INVALID_OPTION'], [{ tickMs: 0 }, 'INVALID_OPTION'], [{ maxBufferedBytes: -1 }, 'INVALID_OPTION'],
  ];
  for (const [opts, code] of bad) await assert.rejects(startHub({ jwtSecret: SECRET, ...opts }), { code }, JSON.stringify(opts));
  await assert.rejects(startHub({ jwtSecret: SECRET, maxRoomsPerClient: 5000 }), /maxRoomsPerClient must be from 1 to 1024/);
  await assert.rejects(startHub({ jwtSecret: SECRET, jwtPublicKey: Buffer.alloc(32, 1).toString('base64url') }), /exactly one/);
});

test('a port in use rejects with ADDRESS_IN_USE; failed starts leave nothing running (the process exits)', async () => {
  const taken = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => taken.once('listening', r));
  const { port } = taken.address();
  try {
    await assert.rejects(startHub({ jwtSecret: SECRET, port }), { code: 'ADDRESS_IN_USE' });
    // In a fresh process: a failed start must not keep the event loop alive.
    const script = `import('${root}/js-glue/hub.js').then(async ({ startHub }) => {
      for (const o of [{ port: ${port} }, { port: 70000 }]) await startHub({ jwtSecret: '${SECRET}', ...o }).catch((e) => console.log(e.code));
    });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const exit = await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(() => r('hung'), 20000))]);
    if (exit === 'hung') child.kill();
    assert.equal(exit, 0);
    assert.deepEqual(out.trim().split('\n'), ['ADDRESS_IN_USE', 'INVALID_OPTION']);
  } finally {
    taken.close();
  }
});

test('a flood of bad binary frames is answered once a second, and honest clients keep their latency', () =>
  withHub({}, async (h) => {
    const pair = await honestPair(h);
    const id = Identity.generate();
    const attacker = await login(h.url, id, token(id));
    const t0 = Date.now();
    for (let i = 0; i < 20000; i++) attacker.send(new Uint8Array([7]));
    const latency = await pair.roundTrip();
    await new Promise((r) => setTimeout(r, 300));
    const errors = (await Promise.allSettled(Array.from({ length: 5 }, () => attacker.next((m) => m.type === 'error', 100)))).filter((r) => r.status === 'fulfilled');
    assert.ok(errors.length <= Math.ceil((Date.now() - t0) / 1000) + 1, `${errors.length} error replies`);
    assert.ok(await metric(h, 'starling_hub_rejections_total{reason="RELAY_BAD_FRAME"}') >= 1000);
    assert.ok(latency < 5000);
    attacker.ws.close();
    pair.close();
  }));

test('a client that does not read is closed at the outbound cap and counted; its room keeps working', () =>
  withHub({ maxBufferedBytes: 64 * 1024, messageRate: 1e4, messageBurst: 1e4 }, async (h) => {
    const pair = await honestPair(h);
    const id = Identity.generate();
    const sleeper = await login(h.url, id, token(id));
    sleeper.send({ type: 'join', room: 'lobby' });
    await sleeper.next((m) => m.type === 'peer-list');
    sleeper.ws._socket.pause(); // reads nothing from now on
    const big = 'x'.repeat(30000);
    for (let i = 0; i < 400 && !(await metric(h, 'starling_hub_rejections_total{reason="SLOW_CONSUMER"}')); i++) {
      pair.x.send({ type: 'offer', to: id.peerId, payload: { big } });
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await metric(h, 'starling_hub_rejections_total{reason="SLOW_CONSUMER"}'), 1);
    assert.ok((await pair.roundTrip()) < 5000);
    sleeper.ws.terminate();
    pair.close();
  }));

test('sockets per address are capped before HTTP; half-sent upgrades time out; /health stays up', () =>
  withHub({ maxSocketsPerAddress: 8, headersTimeoutMs: 1000 }, async (h) => {
    const half = [];
    for (let i = 0; i < 12; i++) {
      const s = tcpConnect(h.port, '127.0.0.1');
      s.on('error', () => {});
      s.resume(); // read, so the hub's close is seen
      s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'); // never finished
      half.push(new Promise((r) => s.once('close', () => r(Date.now()))));
    }
    const t0 = Date.now();
    const closedAt = await Promise.all(half);
    assert.ok(closedAt.every((t) => t - t0 < 10000), 'every half-sent request is cut');
    assert.ok(await metric(h, 'starling_hub_sockets_refused_total') >= 4);
    assert.equal((await fetch(`${h.httpUrl}/health`)).status, 200);
  }));

test('before authentication a socket may send only small messages', () =>
  withHub({}, async (h) => {
    const c = await connect(h.url);
    c.send('x'.repeat(64 * 1024));
    assert.equal(await c.closedWith(), 1009); // ws: message too big
    const id = Identity.generate();
    const ok = await login(h.url, id, token(id)); // after auth the full 64 KiB cap applies
    ok.send({ type: 'ping', id: 'y'.repeat(40), pad: 'z'.repeat(30000) });
    await ok.next((m) => m.type === 'pong');
    ok.ws.close();
  }));

test('signaling cannot be spoofed with duplicate keys or trailing bytes (from, to, room)', () =>
  withHub({}, async (h) => {
    const pair = await honestPair(h);
    const mallory = Identity.generate();
    const m = await login(h.url, mallory, token(mallory));
    m.send({ type: 'join', room: 'lobby' });
    await m.next((x) => x.type === 'peer-list');
    const to = pair.y.id.peerId;
    for (const raw of [
      `{"type":"offer","to":"${to}","payload":{"sdp":"x"},"from":"${pair.x.id.peerId}","from":"${pair.x.id.peerId}"}`,
      `{"type":"offer","to":"${to}","payload":{"sdp":"x","sdp":"y"}}`,
      `{"type":"offer","to":"${to}","payload":{"sdp":"x"}},"from":"${pair.x.id.peerId}"}`,
    ]) {
      m.send(raw);
      assert.equal((await m.next((x) => x.type === 'error')).payload.code, 'MESSAGE_MALFORMED');
    }
    m.send({ type: 'offer', to, room: 'admins', payload: {} });
    assert.equal((await m.next((x) => x.type === 'error')).payload.code, 'NOT_IN_ROOM');
    m.send({ type: 'offer', to, room: 'lobby', payload: { ok: 1 } });
    const got = await pair.y.next((x) => x.type === 'offer');
    assert.equal(got.from, mallory.peerId); // the one offer that passed names its real sender
    assert.deepEqual(got.payload, { ok: 1 });
    m.ws.close();
    pair.close();
  }));

test('room fan-out: join/leave churn is held to its own budget, and its notices are coalesced', () =>
  withHub({ messageRate: 1000, messageBurst: 1000, tickMs: 100 }, async (h) => {
    const pair = await honestPair(h);
    const id = Identity.generate();
    const churn = await login(h.url, id, token(id));
    for (let i = 0; i < 200; i++) churn.send({ type: i % 2 ? 'leave' : 'join', room: 'lobby' });
    await churn.next((m) => m.type === 'error' && /join\/leave rate/.test(m.payload.message));
    await pair.roundTrip();
    await new Promise((r) => setTimeout(r, 1500)); // past a notice interval and several ticks
    const seen = [];
    while (await pair.x.next((m) => m.type === 'peer-joined' || m.type === 'peer-left', 50).then((m) => seen.push(m), () => false));
    // 20 changes were accepted (the join budget's burst), ending outside the
    // room: 4 notices went at once, the rest netted out to nothing.
    assert.ok(seen.length <= 5, `${seen.length} membership messages reached a member`);
    assert.equal(seen.at(-1)?.type, 'peer-left', 'the member is told where the churner ended up');
    churn.ws.close();
    pair.close();
  }));

test('mintToken: HS256 and EdDSA tokens the hub accepts; bad keys are refused where they are made', async () => {
  const id = Identity.generate();
  const t = mintToken({ secret: SECRET, publicKey: id.publicKey, userId: 'alice', audience: 'aud-1' });
  await withHub({ audience: 'aud-1' }, async (h) => { (await login(h.url, id, t, 'alice')).ws.close(); });
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const issuer = Identity.fromSeed(seed);
  const ed = mintToken({ privateKey: seed, publicKey: Buffer.from(id.publicKey).toString('base64url'), userId: 'bob' });
  const h = await startHub({ jwtPublicKey: issuer.publicKey });
  try { (await login(h.url, id, ed, 'bob')).ws.close(); } finally { await h.close(); }
  assert.throws(() => mintToken({ secret: SECRET, publicKey: Buffer.from(id.publicKey).toString('base64'), userId: 'a' }), /base64url/);
  assert.throws(() => mintToken({ publicKey: id.publicKey, userId: 'a' }), /exactly one/);
});

test('/dev/token: base64url keys only, errors that say why, CORS for browser apps on other origins', () =>
  withHub({ dev: true }, async (h) => {
    const id = Identity.generate();
    let std = Buffer.from(id.publicKey).toString('base64');
    while (!/[+/]/.test(std)) std = Buffer.from(Identity.generate().publicKey).toString('base64');
    const refused = await fetch(`${h.httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ publicKey: std }) });
    assert.equal(refused.status, 400);
    assert.match((await refused.json()).error, /base64url/);
    const pre = await fetch(`${h.httpUrl}/dev/token`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    const res = await fetch(`${h.httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ publicKey: Buffer.from(id.publicKey).toString('base64url') }) });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.ok((await res.json()).token);
    // A token carrying a standard-base64 key (minted elsewhere) is refused with the claim named.
    const c = await connect(h.url);
    c.send({ type: 'auth', payload: { token: hs256({ ...claimsFor(id), publicKey: std }, SECRET) } });
    const err = await c.next((m) => m.type === 'error');
    assert.equal(err.payload.code, 'JWT_CLAIMS');
    assert.match(err.payload.message, /publicKey.*base64url/);
  }));
