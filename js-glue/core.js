// core.js — loads the wasm core once and offers the small set of helpers
// every binding uses: scratch buffers, out-param slots, error mapping.
// Rule: never keep a heap view across a call that may allocate (memory can
// grow and replace the buffer); always read `heap()` afresh.
import createStarlingCore from '../dist/starling_core.mjs';
import { StarlingError } from './errors.js';
import { getRandomValue } from './random.js';
import { isNode, fsPromises } from './platform-node.js';

let core = null;
let loading = null;
let slots = 0; // 4 x u32 out-params

const defaultWasmUrl = new URL('../dist/starling_core.wasm', import.meta.url);

const hasScheme = (s) => /^[a-z][a-z0-9+.-]*:/i.test(s);

async function readWasmBytes(source) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  // In Node a plain string is a file path; elsewhere a URL relative to the page.
  if (isNode && typeof source === 'string' && !hasScheme(source)) {
    return (await fsPromises()).readFile(source);
  }
  const url = source instanceof URL ? source : new URL(String(source), globalThis.location?.href);
  if (isNode && url.protocol === 'file:') {
    return (await fsPromises()).readFile(url);
  }
  const res = await fetch(url);
  if (!res.ok) throw new StarlingError('WASM_LOAD', `cannot load ${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function moduleOptions(wasm) {
  if (wasm instanceof WebAssembly.Module) {
    return {
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(wasm, imports).then((instance) => receive(instance));
        return {};
      },
    };
  }
  if (wasm === undefined && !isNode) return {}; // the loader fetches it next to the .mjs
  const bytes = await readWasmBytes(wasm ?? defaultWasmUrl);
  return { wasmBinary: bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer ?? bytes) };
}

/**
 * Loads and initialises the wasm core. Idempotent: later calls return the
 * same promise. `opts.wasm` may be a URL (or string), an ArrayBuffer or
 * typed array holding the .wasm, or a compiled WebAssembly.Module.
 */
export function init(opts = {}) {
  if (!loading) {
    loading = (async () => {
      const options = await moduleOptions(opts.wasm);
      options.getRandomValue = getRandomValue; // libsodium's only random source in wasm: see random.js
      const mod = await createStarlingCore(options);
      const rc = mod._sl_init();
      if (rc !== 0) throw new StarlingError('CRYPTO_INIT', 'libsodium failed to initialise', rc);
      slots = mod._malloc(16);
      core = mod;
      return undefined;
    })();
    loading.catch(() => { loading = null; }); // allow a retry with other options
  }
  return loading;
}

/** The loaded module; throws a clear error before init() has finished. */
export function wasm() {
  if (!core) throw new StarlingError('NOT_INITIALISED', 'call `await init()` before using Starling');
  return core;
}

export const heap = () => core.HEAPU8;
export const slot = (i) => core.HEAPU32[(slots >> 2) + i];
export const slotPtr = (i) => slots + 4 * i;

export function cString(ptr) {
  const h = core.HEAPU8;
  let end = ptr;
  while (h[end] !== 0) end++;
  return new TextDecoder().decode(h.subarray(ptr, end));
}

/** Turns a negative C code into an Error of class `Cls` (default StarlingError). */
export function errorFor(rc, Cls = StarlingError, ...extra) {
  const m = wasm();
  return new Cls(cString(m._sl_errname(rc)), cString(m._sl_strerror(rc)), rc, ...extra);
}

export function check(rc, Cls) {
  if (rc < 0) throw errorFor(rc, Cls);
  return rc;
}

const encoder = new TextEncoder();
/** Accepts Uint8Array, other views, ArrayBuffer or string (UTF-8). */
export function toBytes(data, what = 'data') {
  if (data instanceof Uint8Array) return data; // Buffers too: only ever read, never sliced
  if (typeof data === 'string') return encoder.encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError(`${what} must be a Uint8Array, ArrayBuffer or string`);
}

/** A growable region of wasm memory reused across calls (hot paths). */
export class Scratch {
  constructor(size = 0) {
    this.ptr = 0;
    this.size = 0;
    if (size) this.reserve(size);
  }
  reserve(size) {
    if (size <= this.size) return this.ptr;
    const m = wasm();
    if (this.ptr) m._free(this.ptr);
    this.ptr = m._malloc(Math.max(size, 64));
    if (!this.ptr) {
      this.size = 0;
      throw new StarlingError('OUT_OF_MEMORY', 'wasm allocation failed');
    }
    this.size = Math.max(size, 64);
    return this.ptr;
  }
}

/** Bytes as lowercase hex. */
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// u64 fields through u32 halves: the module has no BigInt at its boundary.
export function putU64(at, v) {
  const h = core.HEAPU32;
  h[at >> 2] = Number(v & 0xffffffffn);
  h[(at >> 2) + 1] = Number(v >> 32n);
}
export function getU64(at) {
  const h = core.HEAPU32;
  return BigInt(h[(at >> 2) + 1]) << 32n | BigInt(h[at >> 2]);
}

/** Copies bytes into wasm memory at ptr. */
export function put(ptr, bytes) {
  core.HEAPU8.set(bytes, ptr);
}

/** Copies len bytes out of wasm memory. */
export function take(ptr, len) {
  return core.HEAPU8.slice(ptr, ptr + len);
}

/** Safety net for objects the application forgot to free. */
export const finalizer = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(({ free, ptr, scratch = [] }) => {
    if (!core) return;
    core[free](ptr);
    for (const s of scratch) if (s.ptr) core._free(s.ptr);
  })
  : { register() {}, unregister() {} };
