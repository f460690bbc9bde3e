// A regtest wallet for trade tests, built on @scure/btc-signer: one P2WPKH
// key with one (made-up) UTXO. It funds the maker's side, adds the
// taker's, signs its own inputs, and finalizes and "broadcasts" (records
// the extracted transaction). What it saw is kept for the tests to check.
import * as btc from '@scure/btc-signer';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { randomBytes } from 'node:crypto';

export const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const FEE = 500n;
export const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export function regtestWallet(seedByte, { utxoValue = 1_000_000n, cheat = null } = {}) {
  const priv = new Uint8Array(32).fill(seedByte);
  const pub = secp256k1.getPublicKey(priv, true);
  const spk = btc.p2wpkh(pub, REGTEST);
  // Change goes to an address of its own, as wallets do: outputs to the
  // payout script are then exactly what the trade pays.
  const change = btc.p2wpkh(secp256k1.getPublicKey(new Uint8Array(32).fill(seedByte + 100), true), REGTEST);
  const utxo = { txid: randomBytes(32), index: 0, witnessUtxo: { script: spk.script, amount: utxoValue } };
  const seen = { signed: [], broadcast: [] };
  const wallet = {
    script: spk.script,
    seen,
    /** Maker: the funding PSBT (psbt null); taker: its input added. */
    async fundPsbt(psbt, { trade }) {
      const maker = trade.makerOutput, taker = trade.takerOutput;
      const tx = psbt ? btc.Transaction.fromPSBT(psbt) : new btc.Transaction();
      if (!psbt) { // the maker pays the taker's output; both outputs are named up front
        tx.addOutput({ script: taker.script, amount: BigInt(taker.value) });
        tx.addOutput({ script: maker.script, amount: BigInt(maker.value) });
        tx.addInput(utxo);
        tx.addOutput({ script: change.script, amount: utxoValue - BigInt(taker.value) - FEE });
      } else { // the taker pays the maker's output
        tx.addInput(utxo);
        tx.addOutput({ script: change.script, amount: utxoValue - BigInt(maker.value) - FEE });
      }
      if (cheat) cheat(tx);
      return tx.toPSBT(0);
    },
    async signPsbt(psbt) {
      const tx = btc.Transaction.fromPSBT(psbt);
      for (let i = 0; i < tx.inputsLength; i++) {
        if (same(tx.getInput(i).witnessUtxo.script, spk.script)) tx.signIdx(priv, i);
      }
      const out = tx.toPSBT(0);
      seen.signed.push(out);
      return out;
    },
    async broadcast(psbt) {
      const tx = btc.Transaction.fromPSBT(psbt);
      tx.finalize();
      seen.broadcast.push({ psbt, raw: tx.extract(), txid: tx.id });
      return tx.id;
    },
    async payout() { return { script: spk.script, value: 40_000 }; },
  };
  return wallet;
}
