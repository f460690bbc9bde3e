// orderbook-view.js — the demo's orderbook: one pair's book held by every
// tab (peer.orderbook), bids and asks best first, a form to place orders
// and a cancel button on our own. Other tabs' orders arrive as gossip
// deltas, and a tab opened later gets the whole book by reconciliation.
// Prices and amounts are integers in minor units (BigInt in the API).
const $ = (id) => document.getElementById(id);
const short = (id) => `${id.slice(0, 8)}…${id.slice(-4)}`;

/** Binds the view to peer.orderbook(pair); log(text) writes to the page's log;
 * take(order), when given, adds a "take" button to other tabs' orders. */
export function orderbookView(peer, pair, log, take = null) {
  const book = peer.orderbook(pair);
  $('pair').textContent = pair;

  function row(o) {
    const tr = document.createElement('tr');
    const mine = o.maker === peer.peerId;
    if (mine) tr.className = 'mine';
    for (const text of [o.price.toString(), o.remaining.toString(), mine ? 'you' : short(o.maker)]) {
      tr.append(Object.assign(document.createElement('td'), { textContent: text }));
    }
    const td = document.createElement('td');
    if (mine) {
      const b = Object.assign(document.createElement('button'), { textContent: 'cancel', type: 'button' });
      b.addEventListener('click', () => {
        try {
          book.cancel(o.id);
          log(`cancelled ${o.side} ${o.remaining} @ ${o.price}`);
        } catch (err) {
          log(`not cancelled: ${err.code}`);
        }
      });
      td.append(b);
    } else if (take) {
      const b = Object.assign(document.createElement('button'), { textContent: 'take', type: 'button', className: 'take' });
      b.addEventListener('click', () => take(o));
      td.append(b);
    }
    tr.append(td);
    return tr;
  }

  function render() {
    const shown = (o) => !peer.reputation(o.maker).banned; // banned makers' orders are hidden
    const bids = book.bids().filter(shown), asks = book.asks().filter(shown);
    $('bids').replaceChildren(...bids.slice(0, 20).map(row));
    $('asks').replaceChildren(...asks.slice(0, 20).map(row));
    $('book-size').textContent = `${book.size} order(s), digest ${book.digest().slice(0, 12)}`;
    document.body.dataset.orders = String(book.size);
    document.body.dataset.digest = book.digest();
  }

  let pending = false; // one redraw per burst of events
  const soon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; render(); });
  };
  book.addEventListener('order:added', soon);
  book.addEventListener('order:removed', soon);
  book.addEventListener('sync', (e) => {
    if (e.detail.received) log(`orderbook: ${e.detail.received} order(s) from ${short(e.detail.peerId)} by reconciliation (${e.detail.rounds} round(s), ${e.detail.bytes} bytes)`);
    soon();
  });

  $('place').addEventListener('submit', (e) => {
    e.preventDefault();
    const side = $('side').value;
    try {
      const o = book.place({ side, price: $('price').value.trim(), amount: $('amount').value.trim(), expiresIn: 3600 * 1000 });
      log(`placed ${side} ${o.amount} @ ${o.price}`);
    } catch (err) {
      log(`not placed: ${err.code ?? err.name}: ${err.message}`);
    }
  });
  render();
  return book;
}
