// Tips between two Node peers over a real hub and WebRTC (seed 003): the
// sender's wallet (viem's local account) signs the EIP-712 typed data, the
// receiver gets a `tip` event and its onTip hook, and verifies the
// signature with viem; replays and expired tips are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { verifyTypedData } from 'viem';
import { peerFixture } from './helpers/peers.js';
import { within, until, once } from './helpers/wait.js';

const fx = peerFixture('tips-js-test-secret-0123456789abcdef01', { connections: false, discovery: false });
const account = privateKeyToAccount(`0x${'11'.repeat(32)}`);
const wallet = { signTypedData: (td) => account.signTypedData(td) };
const meta = (nonce, deadline = Math.floor(Date.now() / 1000) + 600) => ({
  from: account.address, to: '0x000000000000000000000000000000000000dEaD', amount: 2_500_000n,
  token: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', nonce, deadline, chainId: 1,
});

test('a tip is signed by the wallet, delivered, verified with viem and handed to onTip; replays and expired tips are refused', { timeout: 30000 }, async () => {
  const relayed = [];
  const a = await fx.makePeer({ wallet, trades: { storage: 'memory' } });
  const b = await fx.makePeer({ trades: { storage: 'memory' }, tips: { onTip: (tip) => relayed.push(tip) } });
  const connected = once(a, 'peer:connect', (d) => d.peerId === b.peerId);
  a.join('tips');
  b.join('tips');
  await within(15000, connected, () => 'no connection');
  const got = [], refused = [];
  b.tips.addEventListener('tip', (e) => got.push(e.detail));
  b.tips.addEventListener('refused', (e) => refused.push(e.detail.code));
  const sent = await a.tips.send(b.peerId, meta(7n));
  await within(5000, until(() => got.length === 1 && relayed.length === 1), () => 'no tip');
  const tip = got[0];
  assert.equal(tip.from, a.peerId);
  assert.equal(tip.meta.amount, 2_500_000n);
  assert.equal(tip.meta.nonce, 7n);
  assert.equal(tip.signature, sent.signature);
  assert.equal(await verifyTypedData({ address: account.address, ...tip.typedData, signature: tip.signature }), true);
  const other = privateKeyToAccount(`0x${'22'.repeat(32)}`);
  assert.equal(await verifyTypedData({ address: other.address, ...tip.typedData, signature: tip.signature }), false);
  assert.equal(relayed[0], tip);
  // The same nonce again, and a tip past its deadline: refused, never delivered.
  await a.tips.send(b.peerId, meta(7n));
  await a.tips.send(b.peerId, meta(8n, Math.floor(Date.now() / 1000) - 1));
  await within(5000, until(() => refused.length === 2), () => `refused ${refused}`);
  assert.deepEqual(refused, ['TIP_REPLAY', 'TIP_EXPIRED']);
  await a.tips.send(b.peerId, meta(6n)); // below the newest, inside the window: fine
  await within(5000, until(() => got.length === 2), () => 'no second tip');
  await assert.rejects(b.tips.send(a.peerId, meta(1n)), { code: 'NO_WALLET' });
  await assert.rejects(a.tips.send(b.peerId, { ...meta(9n), to: undefined }), TypeError);
});
