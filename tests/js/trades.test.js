// Trades between two Node peers over a real hub and WebRTC: the maker
// places an order, the taker proposes on it, and the two wallets
// (@scure/btc-signer, regtest keys) fund, sign and broadcast one
// transaction paying both sides; the library finalizes and extracts what
// the core combined. A maker who never answers lets both sides expire.
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import * as btc from '@scure/btc-signer';
import { combinePsbt, psbtInfo } from '../../js-glue/index.js';
import { peerFixture } from './helpers/peers.js';
import { regtestWallet, same } from './helpers/btc-wallet.js';
import { within, until } from './helpers/wait.js';

const fx = peerFixture('trades-js-test-secret-0123456789abcdef', { connections: false, discovery: false });

async function pairOfPeers(room, opts = {}) {
  const makerWallet = regtestWallet(1), takerWallet = regtestWallet(2);
  const maker = await fx.makePeer({ wallet: makerWallet, trades: { storage: 'memory', ...opts.trades } });
  const taker = await fx.makePeer({ wallet: takerWallet, trades: { storage: 'memory', ...opts.trades } });
  const mb = maker.orderbook('BTC-USDT'), tb = taker.orderbook('BTC-USDT');
  const order = mb.place({ side: 'ask', price: 9_000_000, amount: 100_000, minFill: 1000 });
  maker.join(room);
  taker.join(room);
  await within(20000, until(() => tb.get(order.id)), () => 'the order never reached the taker');
  return { maker, taker, makerWallet, takerWallet, order };
}

const states = (peer) => {
  const seen = [];
  peer.trades.addEventListener('trade:update', (e) => seen.push(e.detail.state));
  return seen;
};

test('a whole trade: proposal, acceptance, PSBTs built and signed by @scure/btc-signer wallets, broadcast', { timeout: 60000 }, async () => {
  const { maker, taker, makerWallet, takerWallet, order } = await pairOfPeers('trade-1');
  const makerStates = states(maker), takerStates = states(taker);
  maker.trades.addEventListener('trade:update', (e) => {
    if (e.detail.state === 'proposed') e.detail.trade.accept().catch((err) => assert.fail(err));
  });
  const t = taker.trades.propose(order.id, 5000n, { script: takerWallet.script, value: 30_000 });
  assert.equal(t.state, 'proposed');
  assert.equal(t.role, 'taker');
  assert.equal(t.peerId, maker.peerId);
  await within(30000, until(() => t.ended && maker.trades.get(t.id)?.ended), () => `taker ${t.state}, maker ${maker.trades.get(t.id)?.state}`);
  const m = maker.trades.get(t.id);
  assert.equal(t.state, 'completed', `the taker ended ${t.state} (${t.reason})`);
  assert.equal(m.state, 'completed');
  assert.equal(m.role, 'maker');
  assert.equal(t.amount, 5000n);
  assert.deepEqual(takerStates, ['proposed', 'accepted', 'maker-psbt-sent', 'taker-psbt-sent', 'maker-signed', 'taker-signed', 'completed']);
  assert.deepEqual(makerStates, ['proposed', 'accepted', 'maker-psbt-sent', 'taker-psbt-sent', 'maker-signed', 'taker-signed', 'completed']);
  assert.deepEqual(t.history.map((h) => h.state), takerStates);
  // The maker's wallet finalized and extracted the PSBT the core combined;
  // the taker holds the same txid.
  const [sent] = makerWallet.seen.broadcast;
  assert.equal(t.txid, sent.txid);
  assert.equal(m.txid, sent.txid);
  const tx = btc.Transaction.fromRaw(sent.raw);
  const outs = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i));
  assert.ok(outs.some((o) => same(o.script, takerWallet.script) && o.amount === 30_000n), 'pays the taker');
  assert.ok(outs.some((o) => same(o.script, makerWallet.script) && o.amount === 40_000n), 'pays the maker');
  assert.equal(tx.inputsLength, 2);
  // Every PSBT the library built and signed reads the same in the core.
  const hexOf = (b) => Buffer.from(b).toString('hex');
  for (const p of [...makerWallet.seen.signed, ...takerWallet.seen.signed, sent.psbt]) {
    const ours = psbtInfo(p), lib = btc.Transaction.fromPSBT(p);
    assert.equal(ours.version, 0);
    assert.equal(ours.txVersion, lib.version);
    assert.deepEqual(ours.inputs.map((i) => [i.txid, i.index, i.sequence, i.amount]),
      Array.from({ length: lib.inputsLength }, (_, k) => lib.getInput(k)).map((i) => [hexOf(i.txid), i.index, i.sequence, i.witnessUtxo.amount]));
    assert.deepEqual(ours.outputs.map((o) => [hexOf(o.script), o.amount]),
      Array.from({ length: lib.outputsLength }, (_, k) => lib.getOutput(k)).map((o) => [hexOf(o.script), o.amount]));
    assert.deepEqual(ours.inputs.map((i) => i.partialSigs), Array.from({ length: lib.inputsLength }, (_, k) => lib.getInput(k).partialSig?.length ?? 0));
  }
  // Our combination of the two signed PSBTs holds what the library's does.
  const [a] = makerWallet.seen.signed, [b] = takerWallet.seen.signed;
  const ours = btc.Transaction.fromPSBT(combinePsbt(a, b)).toPSBT(0);
  const theirs = btc.Transaction.fromPSBT(btc.PSBTCombine([a, b])).toPSBT(0);
  assert.deepEqual(ours, theirs);
  assert.deepEqual(maker.trades.list().map((x) => x.id), [t.id]);
  // The order rests with what is left, in the maker's book and the taker's.
  const tb = taker.orderbook('BTC-USDT');
  await within(10000, until(() => !tb.get(order.id) && tb.asks().length === 1), () => 'the update never reached the taker');
  assert.equal(tb.asks()[0].remaining, 95_000n);
  assert.equal(tb.asks()[0].replaces, order.id);
  assert.equal(maker.reputation(taker.peerId).counts.completed, 1);
});

test('a maker that never answers: both sides end expired at the step timeout', { timeout: 30000 }, async () => {
  const { maker, taker, takerWallet, order } = await pairOfPeers('trade-2', { trades: { stepTimeoutMs: 1500, resendMs: 300 } });
  const t = taker.trades.propose(order.id, 2000, { script: takerWallet.script, value: 1000 });
  await within(10000, until(() => t.ended && maker.trades.get(t.id)?.ended), () => `taker ${t.state}`);
  assert.equal(t.state, 'expired');
  assert.equal(t.reason, 'TRADE_TIMEOUT');
  assert.equal(maker.trades.get(t.id).state, 'expired');
  assert.throws(() => t.cancel(), { code: 'TRADE_STATE' });
  assert.throws(() => taker.trades.propose('00'.repeat(32), 1, { script: takerWallet.script, value: 1 }), { code: 'ORDER_UNKNOWN' });
  assert.throws(() => taker.trades.propose(order.id, 10, { script: takerWallet.script, value: 1 }), { code: 'TRADE_AMOUNT' });
});

test('a maker killed mid-trade and restarted resumes the trade from its files and completes it', { timeout: 90000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { Identity } = await import('../../js-glue/index.js');
  const { hs256, claimsFor } = await import('./helpers/jwt.js');
  const dir = mkdtempSync(`${tmpdir()}/starling-trades-`);
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const identity = Identity.fromSeed(seed);
  const args = (phase) => JSON.stringify({ hubUrl: fx.hub.url, token: hs256(claimsFor(identity), 'trades-js-test-secret-0123456789abcdef'),
    seed: Buffer.from(seed).toString('hex'), dir, room: 'trade-restart', phase });
  const run = (phase, onLine) => {
    const child = spawn(process.execPath, [new URL('./fixtures/trade-maker.mjs', import.meta.url).pathname, args(phase)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) onLine(buf.slice(0, i), child);
    });
    return { child, exited: new Promise((ok) => child.on('exit', ok)) };
  };
  try {
    const takerWallet = regtestWallet(2);
    const taker = await fx.makePeer({ wallet: takerWallet, trades: { storage: 'memory' } });
    const book = taker.orderbook('BTC-USDT');
    taker.join('trade-restart');
    let orderId = null, first;
    const stalled = new Promise((ok) => {
      let signing = false, saved = false;
      first = run('first', (line, child) => {
        if (line.startsWith('order ')) orderId = line.slice(6);
        signing ||= line === 'signing';
        saved ||= line === 'saved taker-psbt-sent';
        if (signing && saved) { child.kill('SIGKILL'); ok(); }
      });
    });
    await within(20000, until(() => orderId && book.get(orderId)), () => 'no order from the maker');
    const t = taker.trades.propose(orderId, 5000, { script: takerWallet.script, value: 30_000 });
    await within(20000, stalled, () => `the maker never reached its signature (taker ${t.state})`);
    await first.exited;
    assert.equal(t.state, 'taker-psbt-sent', 'the maker died holding our update');
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.trade')).length, 1, 'one trade file, no temporary left');
    const lines = [];
    const second = run('second', (line) => lines.push(line));
    await within(40000, until(() => t.ended), () => `taker ${t.state}; maker said ${lines.join(' | ')}`);
    assert.equal(t.state, 'completed', `${t.reason}; maker said ${lines.join(' | ')}`);
    assert.equal(lines[0], 'state taker-psbt-sent', 'restored where it was saved');
    assert.ok(lines.some((l) => l.startsWith(`restored ${t.id}:`)), lines.join(' | '));
    await second.exited;
    assert.ok(lines.includes('state completed'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A trade message signed by `identity` as the core would build it
 * (docs/protocol.md §11): what a hostile counterparty can send. */
function forgedStep(identity, tradeId, step, fields) {
  const body = new Uint8Array(66 + fields.length);
  body[0] = 1;
  body[1] = step;
  body.set(Buffer.from(tradeId, 'hex'), 2);
  body.set(identity.publicKey, 34);
  body.set(fields, 66);
  const digest = Buffer.concat([Buffer.from('starling-trade/1'), createHash('sha256').update(body).digest()]);
  return Buffer.concat([body, identity.sign(digest)]);
}

test('a counterparty whose PSBT pays less is refused, both sides end failed, and it loses reputation', { timeout: 60000 }, async () => {
  const { maker, taker, takerWallet, order } = await pairOfPeers('trade-3');
  maker.trades.addEventListener('trade:update', (e) => { if (e.detail.state === 'proposed') e.detail.trade.accept(); });
  let funding = null;
  takerWallet.fundPsbt = (psbt) => { funding = psbt; return new Promise(() => {}); }; // the taker does it by hand
  const refused = [];
  maker.trades.addEventListener('refused', (e) => refused.push(e.detail));
  const t = taker.trades.propose(order.id, 5000, { script: takerWallet.script, value: 30_000 });
  await within(20000, until(() => funding), () => `the maker's PSBT never came (${t.state})`);
  const tx = btc.Transaction.fromPSBT(funding);
  tx.addInput({ txid: new Uint8Array(32).fill(7), index: 0, witnessUtxo: { script: takerWallet.script, amount: 100_000n } });
  tx.updateOutput(1, { amount: 39_999n }); // the maker's output, one satoshi short
  const psbt = tx.toPSBT(0);
  const fields = new Uint8Array(4 + psbt.length);
  new DataView(fields.buffer).setUint32(0, psbt.length);
  fields.set(psbt, 4);
  await taker._link(maker.peerId).send(forgedStep(taker.identity, t.id, 4, fields), 0x51, 'high');
  await within(20000, until(() => t.ended && maker.trades.get(t.id)?.ended), () => `taker ${t.state}`);
  const m = maker.trades.get(t.id);
  assert.equal(m.state, 'failed');
  assert.equal(m.reason, 'TRADE_TERMS');
  assert.equal(t.state, 'failed', 'told by the maker');
  assert.equal(t.reason, 'TRADE_TERMS');
  assert.deepEqual(refused.map((r) => r.code), ['TRADE_TERMS']);
  const rep = maker.reputation(taker.peerId);
  assert.ok(rep.score < 0 && rep.refused, `score ${rep.score}`);
  assert.equal(rep.counts.terms, 1);
  assert.equal(taker.reputation(maker.peerId).score, 0, 'the taker holds nothing against the maker');
  // Refused: its next proposal is rejected at once.
  takerWallet.fundPsbt = regtestWallet(2).fundPsbt;
  const again = taker.trades.propose(order.id, 5000, { script: takerWallet.script, value: 30_000 });
  await within(10000, until(() => again.ended), () => again.state);
  assert.equal(again.state, 'rejected');
  assert.equal(again.text, 'reputation');
});

test('the link cut mid-trade: the direct path closes, the link comes back (relay or a new direct path), and the trade completes', { timeout: 90000 }, async () => {
  const { maker, taker, makerWallet, takerWallet, order } = await pairOfPeers('trade-4', { trades: { resendMs: 1000 } });
  maker.trades.addEventListener('trade:update', (e) => { if (e.detail.state === 'proposed') e.detail.trade.accept(); });
  let release;
  const cutDone = new Promise((ok) => { release = ok; });
  const sign = makerWallet.signPsbt;
  makerWallet.signPsbt = async (psbt, ctx) => { await cutDone; return sign(psbt, ctx); };
  const paths = [];
  taker.addEventListener('connection:path', (e) => paths.push(e.detail.path));
  const t = taker.trades.propose(order.id, 5000, { script: takerWallet.script, value: 30_000 });
  await within(20000, until(() => t.state === 'taker-psbt-sent'), () => t.state);
  const link = taker._link(maker.peerId);
  assert.equal(link.active?.kind, 'direct');
  link.direct.pc.close(); // the data channel and its ICE session go away under the trade
  await within(30000, until(() => paths.length > 0 && link.active), () => `paths ${paths}`);
  release();
  await within(40000, until(() => t.ended && maker.trades.get(t.id)?.ended), () => `taker ${t.state} paths ${paths}`);
  assert.equal(t.state, 'completed', `${t.reason}`);
  assert.equal(maker.trades.get(t.id).state, 'completed');
  assert.ok(paths.length >= 1, 'the path changed under the trade');
});
