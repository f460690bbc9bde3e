// wallet-src.js — the demo's wallets, bundled by scripts/build.sh into
// build/demo/wallet.js (served at /vendor/wallet.js): a regtest Bitcoin
// wallet on @scure/btc-signer (one P2WPKH key a tab, one made-up UTXO;
// "broadcast" finalizes and extracts, and keeps the transaction: the demo
// has no Bitcoin node) and an Ethereum account on viem for tips. Real
// libraries, real signatures; demo keys derived from the tab's seed.
import * as btc from '@scure/btc-signer';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { privateKeyToAccount } from 'viem/accounts';

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const FEE = 500n;
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A demo wallet from a 32-byte seed; signDelayMs slows signing (to watch the steps). */
export function demoWallet(seed, { signDelayMs = 0 } = {}) {
  const key = (label) => sha256(new Uint8Array([...seed, ...new TextEncoder().encode(label)]));
  const priv = key('btc'), changePriv = key('btc-change');
  const spk = btc.p2wpkh(secp256k1.getPublicKey(priv, true), REGTEST);
  const change = btc.p2wpkh(secp256k1.getPublicKey(changePriv, true), REGTEST);
  const utxoValue = 1_000_000n;
  const utxo = { txid: key('utxo'), index: 0, witnessUtxo: { script: spk.script, amount: utxoValue } };
  const account = privateKeyToAccount(`0x${hex(key('eth'))}`);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const broadcasts = [];
  return {
    address: spk.address,
    script: spk.script,
    ethAddress: account.address,
    broadcasts,
    async fundPsbt(psbt, { trade }) {
      const tx = psbt ? btc.Transaction.fromPSBT(psbt) : new btc.Transaction();
      if (!psbt) {
        tx.addOutput({ script: trade.takerOutput.script, amount: BigInt(trade.takerOutput.value) });
        tx.addOutput({ script: trade.makerOutput.script, amount: BigInt(trade.makerOutput.value) });
      }
      const paid = psbt ? BigInt(trade.makerOutput.value) : BigInt(trade.takerOutput.value);
      tx.addInput(utxo);
      tx.addOutput({ script: change.script, amount: utxoValue - paid - FEE });
      return tx.toPSBT(0);
    },
    async signPsbt(psbt) {
      if (signDelayMs) await sleep(signDelayMs);
      const tx = btc.Transaction.fromPSBT(psbt);
      for (let i = 0; i < tx.inputsLength; i++) if (same(tx.getInput(i).witnessUtxo.script, spk.script)) tx.signIdx(priv, i);
      return tx.toPSBT(0);
    },
    async broadcast(psbt) {
      const tx = btc.Transaction.fromPSBT(psbt);
      tx.finalize();
      broadcasts.push({ txid: tx.id, hex: hex(tx.extract()) });
      return tx.id;
    },
    async payout() { return { script: spk.script, value: 40_000 }; },
    signTypedData: (typedData) => account.signTypedData(typedData),
  };
}
