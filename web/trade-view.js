// trade-view.js — the demo's trades and tips. "take" on another tab's
// order proposes a trade (peer.trades); a tab accepts proposals on its own
// orders by itself; both tabs list each trade's steps as they happen. The
// wallets are the demo's (vendor/wallet.js: @scure/btc-signer on regtest
// keys, viem for tips). Trades are saved in IndexedDB: reload a tab
// mid-trade and it resumes. "tip" sends a signed EIP-712 tip to a peer.
const $ = (id) => document.getElementById(id);
const short = (id) => `${id.slice(0, 8)}…${id.slice(-4)}`;

export async function tradeView(peer, wallet, log) {
  const trades = peer.trades;
  const render = () => {
    const list = trades.list();
    $('trades').replaceChildren(...list.map((t) => {
      const li = document.createElement('li');
      li.dataset.state = t.state;
      li.textContent = `${t.role} ${short(t.id)} with ${short(t.peerId)}: ${t.history.map((h) => h.state).join(' → ')}` +
        (t.reason && t.state !== 'completed' ? ` (${t.reason}${t.text ? `: ${t.text}` : ''})` : '') + (t.txid ? ` txid ${short(t.txid)}` : '');
      return li;
    }));
    if (!list.length) $('trades').innerHTML = '<li class="empty">no trades yet: take another tab\'s order</li>';
    document.body.dataset.tradeStates = list.map((t) => t.state).join(',');
  };
  trades.addEventListener('trade:update', (e) => {
    const { trade, state, reason } = e.detail;
    log(`trade ${short(trade.id)}: ${state}${reason && state !== 'completed' ? ` (${reason})` : ''}`);
    if (trade.role === 'maker' && state === 'proposed') trade.accept().catch((err) => log(`not accepted: ${err.code ?? err.message}`));
    render();
  });
  trades.addEventListener('wallet-error', (e) => log(`wallet (${e.detail.step}): ${e.detail.error?.message}`));
  const back = await trades.restore();
  if (back.length) log(`resumed ${back.length} trade(s) from IndexedDB`);
  render();

  /** Takes an order from the book: the whole of what remains. */
  const take = (order) => {
    try {
      const t = trades.propose(order.id, order.remaining, { script: wallet.script, value: 30_000 });
      log(`proposed to take ${order.remaining} @ ${order.price}: trade ${short(t.id)}`);
    } catch (err) {
      log(`not proposed: ${err.code ?? err.message}`);
    }
  };

  // Tips: to every connected peer, from this tab's Ethereum account.
  let nonce = BigInt(Date.now());
  const tip = async (peerId) => {
    const meta = { from: wallet.ethAddress, to: '0x000000000000000000000000000000000000dEaD', amount: 1_000_000n,
      token: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', nonce: nonce++, deadline: Math.floor(Date.now() / 1000) + 600, chainId: 1 };
    try {
      await peer.tips.send(peerId, meta);
      log(`tipped ${short(peerId)} 1 USDC`);
    } catch (err) {
      log(`tip not sent: ${err.code ?? err.message}`);
    }
  };
  peer.tips.addEventListener('tip', (e) => {
    const li = document.createElement('li');
    li.textContent = `${short(e.detail.from)} tipped ${e.detail.meta.amount} of ${short(e.detail.meta.token)} (nonce ${e.detail.meta.nonce})`;
    $('tips').append(li);
    document.body.dataset.tips = String($('tips').children.length);
  });
  peer.tips.addEventListener('refused', (e) => log(`tip refused from ${short(e.detail.peerId)}: ${e.detail.code}`));
  $('tip').addEventListener('click', () => { for (const id of peer.connections().map((c) => c.peerId)) tip(id); });
  return { take, render };
}
