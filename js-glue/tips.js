// tips.js — peer.tips: signed tip meta-transactions between peers (seed
// 003; docs/protocol.md §12). The application's wallet signs the EIP-712
// typed data ({ from, to, amount, token, nonce, deadline, chainId }); the
// core seals it in an envelope signed by this peer's identity and checks
// what arrives (256 KiB cap, clock, deadline, per-sender nonce window).
// The receiving application gets a `tip` event and, with `onTip`, can
// hand it to its relayer; verifying the wallet's signature is theirs.
import { wasm, heap, slot, slotPtr, check, errorFor, hex } from './core.js';
import { Identity } from './identity.js';
import { StarlingError } from './errors.js';

export const TIP_FRAME = 0x60;
/** The EIP-712 type of a tip. */
export const TIP_TYPES = {
  Tip: [
    { name: 'from', type: 'address' }, { name: 'to', type: 'address' }, { name: 'amount', type: 'uint256' },
    { name: 'token', type: 'address' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
    { name: 'chainId', type: 'uint256' },
  ],
};
const FIELDS = TIP_TYPES.Tip.map((f) => f.name);
const TIP_BYTES = 80; // sl_tip in wasm32

function unhex(s, what) {
  if (typeof s !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(s)) throw new TypeError(`${what} must be 0x-prefixed hex`);
  return Uint8Array.from(s.slice(2).match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** The typed data of a tip; uint256 fields as decimal strings (JSON has no bigint). */
function typedData(domain, meta) {
  const message = {};
  for (const f of TIP_TYPES.Tip) {
    const v = meta[f.name];
    if (v === undefined || v === null) throw new TypeError(`tip meta needs ${f.name}`);
    message[f.name] = f.type === 'uint256' ? BigInt(v).toString() : String(v);
  }
  return { domain: { ...domain, chainId: Number(message.chainId) }, types: TIP_TYPES, primaryType: 'Tip', message };
}

/** As received: uint256 fields back to bigint, as wallets and viem take them. */
function withBigInts(td) {
  const message = { ...td.message };
  for (const f of td.types?.Tip ?? []) if (f.type === 'uint256' && message[f.name] !== undefined) message[f.name] = BigInt(message[f.name]);
  return { ...td, message };
}

export class Tips extends EventTarget {
  #peer;
  #ptr = 0;
  #opts;

  /** @internal createPeer({ wallet, tips: { domain, onTip } }) */
  constructor(peer, opts = {}) {
    super();
    this.#peer = peer;
    this.#opts = opts;
    this.wallet = opts.wallet ?? null;
    /** The EIP-712 domain (chainId comes from each tip). */
    this.domain = opts.domain ?? { name: 'Starling Tips', version: '1' };
  }

  #live() {
    if (!this.#ptr) check(wasm()._sl_tips_new(slotPtr(0), 0)), this.#ptr = slot(0);
    return this.#ptr;
  }

  /**
   * Sends a tip to peerId: meta { from, to, amount, token, nonce, deadline
   * (unix seconds), chainId } signed by wallet.signTypedData. Resolves
   * with the typed data and signature once the peer has the message.
   */
  async send(peerId, meta) {
    if (!this.wallet?.signTypedData) throw new StarlingError('NO_WALLET', 'tips need a wallet with signTypedData (createPeer({ wallet }))');
    const link = this.#peer._link(peerId);
    if (!link) throw new StarlingError('PEER_NOT_CONNECTED', `no session with ${peerId}`);
    const td = typedData(this.domain, meta);
    const signature = await this.wallet.signTypedData(withBigInts(td));
    const sig = unhex(signature, 'the wallet signature');
    const json = new TextEncoder().encode(JSON.stringify(td));
    const m = wasm();
    const at = m._malloc(json.length + sig.length + 1);
    let msg;
    try {
      heap().set(json, at);
      heap().set(sig, at + json.length);
      check(m._sl_wasm_tip_seal(this.#peer.identity._ptr, at, json.length, at + json.length, sig.length, Date.now(), slotPtr(0), slotPtr(1)));
      const p = slot(0), n = slot(1);
      msg = heap().slice(p, p + n);
      m._free(p);
    } finally {
      m._free(at);
    }
    await link.send(msg, TIP_FRAME, 'high');
    return { typedData: withBigInts(td), signature };
  }

  /** @internal a TIP_META frame from a link. */
  receive(peerId, payload) {
    const m = wasm();
    const room = (payload.length + 7) & ~7; // sl_tip after the message, 8-byte aligned
    const at = m._malloc(room + TIP_BYTES);
    try {
      heap().set(payload, at);
      const out = at + room;
      const rc = m._sl_wasm_tips_receive(this.#live(), at, payload.length, Date.now(), out);
      if (rc < 0) return this.#refuse(peerId, errorFor(rc).code);
      const h = heap();
      const sender = h.slice(out, out + 32);
      if (Identity.peerIdFromPublicKey(sender) !== peerId) return this.#refuse(peerId, 'TIP_SENDER'); // sealed by someone else
      const u32 = (o) => m.HEAPU32[(out + o) >> 2];
      const meta = new TextDecoder().decode(h.subarray(u32(64), u32(64) + u32(68)));
      const signature = `0x${hex(h.subarray(u32(72), u32(72) + u32(76)))}`;
      const td = withBigInts(JSON.parse(meta));
      const tip = { from: peerId, typedData: td, signature, meta: Object.fromEntries(FIELDS.map((f) => [f, td.message[f]])) };
      this.dispatchEvent(new CustomEvent('tip', { detail: tip }));
      Promise.resolve().then(() => this.#opts.onTip?.(tip)).catch((error) => this.dispatchEvent(new CustomEvent('relay-error', { detail: { tip, error } })));
    } finally {
      m._free(at);
    }
  }

  #refuse(peerId, code) {
    this.#peer.trades?.reputation.record(peerId, 'invalid');
    this.dispatchEvent(new CustomEvent('refused', { detail: { peerId, code } }));
  }

  close() {
    if (this.#ptr) wasm()._sl_tips_free(this.#ptr);
    this.#ptr = 0;
  }
}
