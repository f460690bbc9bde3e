// The orderbook benchmark's sequence (bench/native/bench_book.c) on
// nodejs-order-book: the same seeded generator, draw for draw, so both
// books see the same 1,000,000 operations — 60 % place (bids 1000-1099,
// asks 1100-1199: they rest), 30 % cancel of a placed order (filled ones
// too), 10 % taker (a market order: it fills and removes). Inputs are
// generated before the clock starts; only the book is timed.
import { OrderBook, Side } from 'nodejs-order-book';

const MASK = (1n << 64n) - 1n;

/** The C generator: r = r * 6364136223846793005 + 1442695040888963407 (mod 2^64), r >> 33. */
function generator(seed) {
  let r = BigInt(seed);
  return () => {
    r = (r * 6364136223846793005n + 1442695040888963407n) & MASK;
    return Number(r >> 33n);
  };
}

export function bookSequence(ops) {
  const next = generator(42);
  const side = new Uint8Array(ops), price = new Uint32Array(ops), amount = new Uint32Array(ops);
  for (let k = 0; k < ops; k++) {
    side[k] = next() & 1;
    price[k] = (side[k] ? 1100 : 1000) + (next() % 100);
    amount[k] = 1 + (next() % 100);
    for (let b = 0; b < 8; b++) next(); // the id's words (C draws them; ids here are the index)
    next(); // the maker
  }
  // The operations, drawn as the C loop draws them: kind 0 place, 1 cancel (arg: order), 2 taker (side, amount).
  const kind = new Uint8Array(ops), arg = new Uint32Array(ops), takerSide = new Uint8Array(ops);
  const live = new Uint32Array(ops);
  let placed = 0, nLive = 0;
  for (let k = 0; k < ops; k++) {
    const dice = next() % 10;
    if (dice < 6 || nLive === 0) {
      kind[k] = 0; arg[k] = placed; live[nLive++] = placed++;
    } else if (dice < 9) {
      const j = next() % nLive;
      kind[k] = 1; arg[k] = live[j]; live[j] = live[--nLive];
    } else {
      kind[k] = 2; takerSide[k] = next() & 1; arg[k] = 1 + (next() % 300);
    }
  }
  return { side, price, amount, kind, arg, takerSide, ops };
}

/** Operations a second on nodejs-order-book. */
export function runNodejsOrderBook(seq) {
  const ob = new OrderBook();
  const ids = Array.from({ length: seq.ops }, (_, k) => String(k));
  const t = process.hrtime.bigint();
  for (let k = 0; k < seq.ops; k++) {
    const a = seq.arg[k];
    if (seq.kind[k] === 0) ob.limit({ side: seq.side[a] ? Side.SELL : Side.BUY, id: ids[a], size: seq.amount[a], price: seq.price[a] });
    else if (seq.kind[k] === 1) ob.cancel(ids[a]);
    else ob.market({ side: seq.takerSide[k] ? Side.SELL : Side.BUY, size: a });
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  return seq.ops / s;
}
