// random.js — the random source of the wasm builds.
//
// libsodium 1.0.18 compiled with Emscripten ignores
// randombytes_set_implementation(): randombytes_random() and _buf() always
// call Module.getRandomValue() (one 32-bit value per output byte), and its
// start-up probe falls back to require('crypto'), which does not exist in
// ESM under Node. Supplying Module.getRandomValue backed by Web Crypto
// (browsers, workers, Node 20) fixes both; values are drawn from a pool
// refilled 1 KiB at a time so a 32-byte key costs no more than one call.
const POOL_WORDS = 256;
const pool = new Uint32Array(POOL_WORDS);
let next = POOL_WORDS;

export function getRandomValue() {
  if (next === POOL_WORDS) {
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  const v = pool[next];
  pool[next++] = 0; // a drawn value does not linger in the pool
  return v;
}
