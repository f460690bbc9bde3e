// run.js — `npm run bench`: Starling (wasm) against the anchors named in
// issue #2, measured in this one run, printed as ratios. Not a test: it
// asserts nothing, and numbers vary with the machine.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import sodium from 'libsodium-wrappers';
import * as lp from 'it-length-prefixed';
import { init, Identity, Handshake, encodeFrame, encodeFrames, FrameDecoder, FrameType, RECORD_MAX_PLAINTEXT } from '../js-glue/index.js';
import { fmt, ratioTable } from './report.js';
import { bookSequence, runNodejsOrderBook } from './book-js.js';
import { buildViteApp } from '../scripts/vite-app.js';

const root = fileURLToPath(new URL('..', import.meta.url));
await init();
await sodium.ready;

/** Calls fn repeatedly for about `ms` after a warm-up of ms/2 (so both
 * sides are measured after the engine's optimising tier has kicked in);
 * returns calls per second. */
function rate(fn, ms = 1000) {
  for (const end = performance.now() + ms / 2; performance.now() < end;) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}
const { rows, row } = ratioTable();

// --- native reference (same C code, gcc -O3 Release) ---
const native = JSON.parse(execFileSync(`${root}/build/bench/bench/native/bench_core`, { encoding: 'utf8' }));

// --- session records, 16 KiB, encrypt + decrypt ---
function sessionPair() {
  const a = Identity.generate(); const b = Identity.generate();
  const x = new Handshake({ identity: a, initiator: true }); const y = new Handshake({ identity: b, initiator: false });
  y.readMessage(x.writeMessage()); x.readMessage(y.writeMessage()); y.readMessage(x.writeMessage());
  return [x.split(), y.split()];
}
const record = crypto.getRandomValues(new Uint8Array(RECORD_MAX_PLAINTEXT));
const [sa, sb] = sessionPair();
const oursSession = rate(() => sb.decrypt(sa.encrypt(record))) * record.length / 1e6;
const key = sodium.crypto_aead_chacha20poly1305_ietf_keygen();
const nonce = new Uint8Array(12);
let counter = 0;
const wrappersSession = rate(() => {
  new DataView(nonce.buffer).setUint32(4, counter++, true);
  const ct = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(record, null, null, nonce, key);
  sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, ct, null, nonce, key);
}) * record.length / 1e6;
row('session 16 KiB records, encrypt+decrypt', oursSession, 'libsodium-wrappers', wrappersSession, 1.5, 'MB/s');
row('session 16 KiB records, encrypt+decrypt', oursSession, 'native', native.sessionMBps, 0.35, 'MB/s');

// --- Ed25519 ---
const me = Identity.generate();
const msg = crypto.getRandomValues(new Uint8Array(64));
const kp = sodium.crypto_sign_seed_keypair(me.seed);
const sig = me.sign(msg);
const oursSign = rate(() => me.sign(msg));
const wrappersSign = rate(() => sodium.crypto_sign_detached(msg, kp.privateKey));
const oursVerify = rate(() => Identity.verify(me.publicKey, msg, sig));
const wrappersVerify = rate(() => sodium.crypto_sign_verify_detached(sig, msg, kp.publicKey));
row('Ed25519 sign', oursSign, 'libsodium-wrappers', wrappersSign, 0.95, '/s');
row('Ed25519 verify', oursVerify, 'libsodium-wrappers', wrappersVerify, 0.95, '/s');
row('Ed25519 sign', oursSign, 'native', native.signPerSec, undefined, '/s');
row('Ed25519 verify', oursVerify, 'native', native.verifyPerSec, undefined, '/s');

// --- frames: a million 100-byte frames, encode + decode ---
const COUNT = 1_000_000;
const payload = new Uint8Array(100).fill(7);
const CHUNK = 64 * 1024;
function concat(parts, total) {
  const out = new Uint8Array(total); let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
// Inputs are built once, outside the timed region, for both sides.
const frameList = Array.from({ length: COUNT }, () => ({ type: FrameType.DATA, payload }));
const payloadList = Array.from({ length: COUNT }, () => payload);
function decodeAll(stream) {
  const dec = new FrameDecoder();
  let got = 0;
  for (let pos = 0; pos < stream.length; pos += CHUNK) {
    for (const f of dec.push(stream.subarray(pos, pos + CHUNK))) got += f.payload.length === 100 ? 1 : 0;
  }
  dec.free();
  if (got !== COUNT) throw new Error(`starling decoded ${got}`);
}
// Stream writer API (encodeFrames) — the shape it-length-prefixed's encode has too.
function starlingFrames() {
  const t0 = performance.now();
  decodeAll(encodeFrames(frameList));
  return (performance.now() - t0) / 1000;
}
// One encodeFrame() call and one Uint8Array per frame.
function starlingSingleFrames() {
  const t0 = performance.now();
  const parts = new Array(COUNT);
  for (let i = 0; i < COUNT; i++) parts[i] = encodeFrame(FrameType.DATA, payload);
  decodeAll(concat(parts, COUNT * 105));
  return (performance.now() - t0) / 1000;
}
function lpFrames() {
  const t0 = performance.now();
  const parts = []; let total = 0;
  // v11 yields the varint prefix and the payload as separate chunks.
  for (const b of lp.encode(payloadList)) { parts.push(b); total += b.length; }
  const stream = concat(parts, total);
  const chunks = [];
  for (let pos = 0; pos < stream.length; pos += CHUNK) chunks.push(stream.subarray(pos, pos + CHUNK));
  let got = 0;
  for (const list of lp.decode(chunks)) got += list.byteLength === 100 ? 1 : 0;
  if (got !== COUNT) throw new Error(`it-length-prefixed decoded ${got}`);
  return (performance.now() - t0) / 1000;
}
starlingFrames(); starlingSingleFrames(); lpFrames(); // warm-up
const oursFrames = Math.min(starlingFrames(), starlingFrames());
const oursSingle = Math.min(starlingSingleFrames(), starlingSingleFrames());
const lpTime = Math.min(lpFrames(), lpFrames());
row('1M x 100-byte frames, encode+decode', 1 / oursFrames, 'it-length-prefixed', 1 / lpTime, 3, 'M frames/s');
row('  same, encodeFrame() per frame', 1 / oursSingle, 'it-length-prefixed', 1 / lpTime, undefined, 'M frames/s');
row('1M x 100-byte frames, encode+decode', 1 / oursFrames, 'native', 1 / native.framesMillionSec, undefined, 'M frames/s');

// --- handshakes per second ---
const ia = Identity.generate(); const ib = Identity.generate();
const oursHs = rate(() => {
  const x = new Handshake({ identity: ia, initiator: true }); const y = new Handshake({ identity: ib, initiator: false });
  y.readMessage(x.writeMessage()); x.readMessage(y.writeMessage()); y.readMessage(x.writeMessage());
  x.split().free(); y.split().free();
}, 1500);
row('full XX handshakes (both sides)', oursHs, 'native', native.handshakesPerSec, undefined, '/s');

// --- size, gzipped ---
const gz = (...files) => files.reduce((n, f) => n + gzipSync(readFileSync(`${root}/${f}`), { level: 9 }).length, 0);
// The browser module is measured as an application ships it: the
// example Vite app (examples/vite-app) built from the packed tarball by
// scripts/vite-app.js, the build the Chromium test runs. Its .js chunk is
// the glue, minified and tree-shaken by Vite; the anchors are minified
// single bundles too.
const viteDir = mkdtempSync(join(tmpdir(), 'starling-bench-vite-'));
const viteBuild = await buildViteApp(viteDir);
rmSync(viteDir, { recursive: true, force: true });
if (viteBuild.warnings.length) console.log(`vite warned:\n${viteBuild.warnings.join('\n')}`);
const glueGz = viteBuild.files.filter((f) => f.name.endsWith('.js')).reduce((n, f) => n + f.gzip, 0);
const ours = viteBuild.gzip;
const sizes = {
  'libsodium-wrappers + libsodium': gz('node_modules/libsodium-wrappers/dist/modules/libsodium-wrappers.js', 'node_modules/libsodium/dist/modules/libsodium.js'),
  peerjs: gz('node_modules/peerjs/dist/peerjs.min.js'),
  'simple-peer': gz('node_modules/simple-peer/simplepeer.min.js'),
};
const sizeRows = Object.entries(sizes).map(([name, n]) => ({ anchor: name, gzipKB: fmt(n / 1024), starlingVsAnchor: `${fmt(ours / n, 2)}x` }));

console.log('\nStarling benchmarks (wasm in Node', process.version, '; native = same C, -O3)\n');
console.table(rows);
console.log(`\nbrowser peer module built by Vite from the packed tarball: .wasm + JS ${fmt(glueGz / 1024)} KB), gzipped: ${fmt(ours / 1024)} KB (budget <= 128 KB: ${ours <= 128 * 1024 ? 'met' : 'NOT met'})`);
console.table(sizeRows);
console.log(`\nwasm handshakes/s ${fmt(oursHs, 0)}, native ${fmt(native.handshakesPerSec, 0)}; ` +
  `frames: starling ${fmt(oursFrames, 3)} s (per-frame encode ${fmt(oursSingle, 3)} s), it-length-prefixed ${fmt(lpTime, 3)} s, native ${fmt(native.framesMillionSec, 3)} s`);
// The orderbook (issue #9): one seeded sequence of 1,000,000 operations on
// our book as wasm (bench_book.cjs, the C benchmark built by Emscripten),
// natively, and on nodejs-order-book (bench/book-js.js mirrors the
// generator draw for draw).
const wasmBook = JSON.parse(execFileSync(process.execPath, [`${root}/build/wasm/bench/native/bench_book.cjs`], { encoding: 'utf8' })).bookOpsPerSec;
const jsBook = runNodejsOrderBook(bookSequence(1000000));
console.log('\norderbook, 1,000,000 seeded operations (60 % place, 30 % cancel, 10 % taker), ops/s:');
console.table([
  { book: 'starling (wasm)', opsPerSec: fmt(wasmBook, 0), vsNodejsOrderBook: `${fmt(wasmBook / jsBook, 2)}x`, goal: `>= 3x: ${wasmBook >= 3 * jsBook ? 'met' : 'NOT met'}` },
  { book: 'starling (native)', opsPerSec: fmt(native.bookOpsPerSec, 0), vsNodejsOrderBook: `${fmt(native.bookOpsPerSec / jsBook, 2)}x`, goal: `>= 2,000,000/s: ${native.bookOpsPerSec >= 2e6 ? 'met' : 'NOT met'} (${fmt(native.bookOpsPerSec / 2e6, 2)}x of it)` },
  { book: 'nodejs-order-book', opsPerSec: fmt(jsBook, 0), vsNodejsOrderBook: '1.00x', goal: '' },
]);
// Trades (issue #11): every message of a whole trade (proposal to
// broadcast) received and validated by its side: signature, step, the
// PSBT's terms, the combination. The C benchmark natively and as wasm.
const wasmTrade = JSON.parse(execFileSync(process.execPath, [`${root}/build/wasm/bench/native/bench_trade.cjs`], { encoding: 'utf8' }));
console.log(`\ntrade messages validated (${wasmTrade.messagesPerTrade} a trade), messages/s:`);
console.table([
  { build: 'starling (wasm)', messagesPerSec: fmt(wasmTrade.tradeMessagesPerSec, 0), vsNative: `${fmt(wasmTrade.tradeMessagesPerSec / native.tradeMessagesPerSec, 2)}x` },
  { build: 'starling (native)', messagesPerSec: fmt(native.tradeMessagesPerSec, 0), vsNative: '1.00x' },
]);
// Sync of two books of 100,000 signed orders, one lacking 1 % / 0.01 %:
// reconciliation (Negentropy, then the missing orders) vs a whole snapshot.
console.log('\norderbook sync, 100,000 orders (native; goals at 1 %: <= 5 % of the snapshot\'s bytes, <= 6 round trips):');
console.table(native.sync.map((x) => ({
  missing: `${fmt(x.missing * 100, 2)} %`, bytes: x.bytes, roundTrips: x.roundTrips, snapshotBytes: x.snapshotBytes,
  snapshotRoundTrips: x.snapshotRoundTrips, vsSnapshot: `${fmt(100 * x.bytes / x.snapshotBytes, 2)} %`, booksAgree: !!x.same,
})));
