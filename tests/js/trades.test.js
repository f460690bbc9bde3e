// Trades between two Node peers over a real hub and WebRTC: the maker
// places an order, the taker proposes on it, and the two wallets
// (@scure/btc-signer, regtest keys) fund, sign and broadcast one
// transaction paying both sides; the library finalizes and extracts what
// the core combined. A maker who never answers lets both sides expire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as btc from '@scure/btc-signer';
import { combinePsbt } from '../../js-glue/index.js';
import { peerFixture } from './helpers/peers.js';
import { regtestWallet, same } from './helpers/btc-wallet.js';
import { within, until } from './helpers/wait.js';

const fx = peerFixture('trades-js-test-secret-0123456789abcdef', { connections: false, discovery: false });

async function pairOfPeers(room, opts = {}) {
  const makerWallet = regtestWallet(1), takerWallet = regtestWallet(2);
  const maker = await fx.makePeer({ wallet: makerWallet, trades: opts.trades });
  const taker = await fx.makePeer({ wallet: takerWallet, trades: opts.trades });
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
  // Our combination of the two signed PSBTs holds what the library's does.
  const [a] = makerWallet.seen.signed, [b] = takerWallet.seen.signed;
  const ours = btc.Transaction.fromPSBT(combinePsbt(a, b)).toPSBT(0);
  const theirs = btc.Transaction.fromPSBT(btc.PSBTCombine([a, b])).toPSBT(0);
  assert.deepEqual(ours, theirs);
  assert.deepEqual(maker.trades.list().map((x) => x.id), [t.id]);
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
