// trades.js — the trade benchmarks of issue #11, in one run:
//  1. PSBT parse + term check a second: the core (wasm, psbtPays) against
//     @scure/btc-signer parsing the same PSBTs and summing the outputs to
//     the same scripts (goal >= 3x);
//  2. a whole trade's wall time between two Node peers over loopback
//     WebRTC through a real hub, proposal to completion on both sides,
//     with @scure/btc-signer wallets: p50 / p95 over 50 trades.
// Trade messages validated a second (wasm and native) are in run.js.
import * as btc from '@scure/btc-signer';
import { init, Identity, createPeer, psbtPays } from '../js-glue/index.js';
import { startHub } from '../js-glue/hub.js';
import { hs256, claimsFor } from '../tests/js/helpers/jwt.js';
import { regtestWallet } from '../tests/js/helpers/btc-wallet.js';
import { fmt } from './report.js';

await init();

function rate(fn, ms = 1000) {
  for (const end = performance.now() + ms / 2; performance.now() < end;) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { fn(); n++; }
  return n / ((performance.now() - t0) / 1000);
}

// --- PSBTs: a swap's funding, update and signed PSBTs, both versions ---
const maker = regtestWallet(1), taker = regtestWallet(2);
const outs = { maker: { script: maker.script, value: 40_000 }, taker: { script: taker.script, value: 30_000 } };
const trade = { makerOutput: outs.maker, takerOutput: outs.taker };
const funded = await maker.fundPsbt(null, { trade });
const updated = await taker.fundPsbt(funded, { trade });
const signed = await taker.signPsbt(await maker.signPsbt(updated));
const psbts = [funded, updated, signed, btc.Transaction.fromPSBT(signed).toPSBT(2)];
const terms = [outs.maker, outs.taker];
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
function scurePays(bytes) {
  const tx = btc.Transaction.fromPSBT(bytes);
  return terms.every((t) => {
    let sum = 0n;
    for (let i = 0; i < tx.outputsLength; i++) { const o = tx.getOutput(i); if (same(o.script, t.script)) sum += o.amount; }
    return sum >= BigInt(t.value);
  });
}
for (const p of psbts) if (!psbtPays(p, terms) || !scurePays(p)) throw new Error('the benchmark PSBTs must pass both checks');
let k = 0;
const ours = rate(() => psbtPays(psbts[k++ & 3], terms));
const theirs = rate(() => scurePays(psbts[k++ & 3]));
console.log(`\nPSBT parse + term check (${psbts.map((p) => p.length).join(', ')} bytes, v0 and v2), per second:`);
console.table([
  { impl: 'starling (wasm)', perSec: fmt(ours, 0), vsScure: `${fmt(ours / theirs, 2)}x`, goal: `>= 3x: ${ours >= 3 * theirs ? 'met' : 'NOT met'}` },
  { impl: '@scure/btc-signer', perSec: fmt(theirs, 0), vsScure: '1.00x', goal: '' },
]);

// --- a whole trade's wall time ---
const SECRET = 'bench-trades-secret-0123456789abcdef0123';
const hub = await startHub({ jwtSecret: SECRET });
const peer = async (wallet) => {
  const identity = Identity.generate();
  return createPeer({ hubUrl: hub.url, token: hs256(claimsFor(identity), SECRET), identity, wallet,
    trades: { storage: 'memory' }, connections: false, discovery: false });
};
const m = await peer(regtestWallet(1)), t = await peer(regtestWallet(2));
m.trades.addEventListener('trade:update', (e) => { if (e.detail.state === 'proposed') e.detail.trade.accept(); });
const mb = m.orderbook('BTC-USDT'), tb = t.orderbook('BTC-USDT');
const order = mb.place({ side: 'ask', price: 9_000_000, amount: 10_000_000, minFill: 1 });
m.join('bench-trades');
t.join('bench-trades');
while (!tb.get(order.id)) await new Promise((r) => setTimeout(r, 20));
const TRADES = Number(process.env.TRADES ?? 50);
const times = [];
for (let i = 0; i < TRADES; i++) {
  const t0 = performance.now();
  const tr = t.trades.propose(order.id, 1000, { script: regtestWallet(2).script, value: 30_000 });
  await new Promise((resolve, reject) => {
    const check = () => {
      const mt = m.trades.get(tr.id);
      if (tr.ended && mt?.ended) return tr.state === 'completed' && mt.state === 'completed' ? resolve() : reject(new Error(`trade ${tr.state}/${mt.state}`));
      setTimeout(check, 1);
    };
    check();
  });
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const pct = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(`\na whole trade between two Node peers (loopback WebRTC, hub, @scure/btc-signer wallets), ${TRADES} trades: ` +
  `p50 ${fmt(pct(0.5), 1)} ms, p95 ${fmt(pct(0.95), 1)} ms (7 messages, 4 wallet calls a side)`);
await Promise.all([m.close(), t.close()]);
await hub.close();
process.exit(0);
