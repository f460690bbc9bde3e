// Our Negentropy v1 (C, through js-glue/reconcile.js) against an
// independent implementation from npm: the JavaScript port of the
// reference in applesauce-relay. Both directions (either side as the
// initiator), with and without a frame limit, find exactly the
// differences; the initiator's first message is byte-identical to the
// reference's for the same set.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init } from '../../js-glue/index.js';
import { Reconciler } from '../../js-glue/reconcile.js';

// The port is not among the package's exports: load its file, next to
// the package's entry point.
const entry = import.meta.resolve('applesauce-relay'); // .../dist/index.js
const { Negentropy, NegentropyStorageVector } = await import(new URL('./lib/negentropy.js', entry).href);

before(() => init());

const hex = (b) => Buffer.from(b).toString('hex');

/** A seeded set of n items, three to a second (ids decide order).
 * Seconds, not the book's milliseconds: the JavaScript port encodes
 * varints with 32-bit operators, so it only handles timestamps below
 * 2^32 (Nostr's seconds); the wire format itself carries 64 bits. */
function items(n, seed) {
  let x = seed;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
  return Array.from({ length: n }, (_, k) => ({ timestamp: 1764676800 + Math.floor(k / 3), id: Uint8Array.from({ length: 32 }, rnd) }));
}

function theirs(set, frameLimit = 0) {
  const storage = new NegentropyStorageVector();
  for (const it of set) storage.insert(it.timestamp, it.id);
  storage.seal();
  const n = new Negentropy(storage, frameLimit);
  n.wantUint8ArrayOutput = true;
  return n;
}

const all = items(3000, 7);
const client = all.filter((_, k) => k % 7 !== 0); // lacks every 7th
const server = all.filter((_, k) => k % 11 !== 0); // lacks every 11th
const expectHave = new Set(all.filter((_, k) => k % 11 === 0 && k % 7 !== 0).map((it) => hex(it.id)));
const expectNeed = new Set(all.filter((_, k) => k % 7 === 0 && k % 11 !== 0).map((it) => hex(it.id)));

for (const frameLimit of [0, 4096]) {
  test(`ours initiates, the reference answers (frame limit ${frameLimit || 'none'})`, async () => {
    const ours = new Reconciler(client, { frameLimit, maxRounds: 1000 });
    const ref = theirs(server, frameLimit);
    const have = new Set(); const need = new Set();
    let msg = ours.initiate();
    for (let rounds = 0; msg; rounds++) {
      assert.ok(rounds < 500);
      if (frameLimit) assert.ok(msg.length <= frameLimit);
      const [reply] = await ref.reconcile(msg);
      if (frameLimit) assert.ok(reply.length <= frameLimit);
      const r = ours.reconcile(reply);
      for (const id of r.have) have.add(hex(id));
      for (const id of r.need) need.add(hex(id));
      msg = r.reply;
    }
    assert.deepEqual(have, expectHave);
    assert.deepEqual(need, expectNeed);
    ours.free();
  });

  test(`the reference initiates, ours answers (frame limit ${frameLimit || 'none'})`, async () => {
    const ref = theirs(client, frameLimit);
    const ours = new Reconciler(server, { frameLimit, maxRounds: 1000 });
    const have = new Set(); const need = new Set();
    let msg = await ref.initiate();
    for (let rounds = 0; msg; rounds++) {
      assert.ok(rounds < 500);
      const { reply } = ours.reconcile(msg);
      if (frameLimit) assert.ok(reply.length <= frameLimit);
      const [next, h, n] = await ref.reconcile(reply);
      for (const id of h) have.add(hex(id));
      for (const id of n) need.add(hex(id));
      msg = next;
    }
    assert.deepEqual(have, expectHave);
    assert.deepEqual(need, expectNeed);
    ours.free();
  });
}

test('smaller leaves (the orderbook\'s choice) are still Negentropy v1: the reference reconciles with them both ways', async () => {
  for (const oursIsClient of [true, false]) {
    const ours = new Reconciler(oursIsClient ? client : server, { leaf: 4 });
    const ref = theirs(oursIsClient ? server : client);
    const have = new Set(); const need = new Set();
    const note = (h, n) => { for (const id of h) have.add(hex(id)); for (const id of n) need.add(hex(id)); };
    if (oursIsClient) {
      for (let msg = ours.initiate(); msg;) {
        const [reply] = await ref.reconcile(msg);
        const r = ours.reconcile(reply);
        note(r.have, r.need);
        msg = r.reply;
      }
    } else {
      for (let msg = await ref.initiate(); msg;) {
        const [next, h, n] = await ref.reconcile(ours.reconcile(msg).reply);
        note(h, n);
        msg = next;
      }
    }
    assert.deepEqual(have, expectHave);
    assert.deepEqual(need, expectNeed);
    ours.free();
  }
});

test('the first message is byte-identical to the reference for the same set', async () => {
  for (const set of [[], all.slice(0, 20), all]) {
    const ours = new Reconciler(set);
    assert.equal(hex(ours.initiate()), hex(await theirs(set).initiate()));
    ours.free();
  }
});

test('our answers are byte-identical to the reference server', async () => {
  const query = await theirs(client).initiate();
  const ours = new Reconciler(server);
  const ref = theirs(server);
  const [refReply] = await ref.reconcile(query);
  assert.equal(hex(ours.reconcile(query).reply), hex(refReply));
  ours.free();
});

test('refusals carry codes: version, malformed, ranges', () => {
  const ours = new Reconciler(server);
  assert.equal(hex(ours.reconcile(Uint8Array.of(0x62)).reply), '61'); // a server names its version
  assert.throws(() => ours.reconcile(Uint8Array.of(0x61, 0x85)), { code: 'SYNC_MALFORMED' });
  assert.throws(() => ours.reconcile(Uint8Array.of(0x61, 0, 0, 0, 0, 0, 0)), { code: 'SYNC_RANGE' });
  const c = new Reconciler(client);
  c.initiate();
  assert.throws(() => c.reconcile(Uint8Array.of(0x62)), { code: 'SYNC_VERSION' });
  ours.free();
  c.free();
});
