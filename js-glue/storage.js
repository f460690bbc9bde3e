// storage.js — where peer.trades keeps its trades so that a reload or a
// restart resumes them: IndexedDB in browsers, a directory of atomically
// written files in Node, or memory when asked. Each keeps bytes by key:
// trades (the core's own saves, sl_trade_save) by id, and a few named
// records beside them (the reputation) with saveMeta / loadMeta.
import { StarlingError } from './errors.js';
import { isNode, fsPromises, homeDir } from './platform-node.js';

const KEY = /^[0-9a-f]{64}$/;

function checkKey(id) {
  if (!KEY.test(id)) throw new TypeError('a storage key is a 64-digit hex id');
}

/** Keeps nothing past the process: for tests and for trades that need not survive. */
export function memoryStorage() {
  const map = new Map(), meta = new Map();
  return {
    kind: 'memory',
    async saveMeta(name, bytes) { meta.set(name, bytes.slice()); },
    async loadMeta(name) { return meta.get(name)?.slice() ?? null; },
    async save(id, bytes) { checkKey(id); map.set(id, bytes.slice()); },
    async loadAll() { return [...map.values()].map((b) => b.slice()); },
    async remove(id) { map.delete(id); },
  };
}

/**
 * A directory (created on the first save) with one file a trade. A save
 * writes a temporary file, flushes it and renames it over the old one, so
 * a crash leaves the old save or the new one, never half of either.
 */
export function fileStorage(dir) {
  if (typeof dir !== 'string' || !dir) throw new TypeError('fileStorage needs a directory path');
  let made = null;
  const mod = fsPromises;
  const ready = async () => {
    const fs = await mod();
    made ??= fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await made;
    return fs;
  };
  // Saves of one id run in order: a later state never loses to an earlier one.
  const queues = new Map();
  const write = async (name, bytes) => {
    const fs = await ready();
    const file = `${dir}/${name}`, tmp = `${file}.${process.pid}.tmp`;
    const h = await fs.open(tmp, 'w', 0o600);
    try {
      await h.writeFile(bytes);
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, file);
  };
  return {
    kind: 'files',
    dir,
    save(id, bytes) {
      checkKey(id);
      const copy = bytes.slice();
      const next = (queues.get(id) ?? Promise.resolve()).then(() => write(`${id}.trade`, copy));
      queues.set(id, next.catch(() => {}));
      return next;
    },
    saveMeta(name, bytes) {
      const copy = bytes.slice();
      const next = (queues.get(name) ?? Promise.resolve()).then(() => write(`${name}.meta`, copy));
      queues.set(name, next.catch(() => {}));
      return next;
    },
    async loadMeta(name) {
      const fs = await mod();
      try { return new Uint8Array(await fs.readFile(`${dir}/${name}.meta`)); } catch (err) { if (err.code === 'ENOENT') return null; throw err; }
    },
    async loadAll() {
      const fs = await mod();
      let names;
      try { names = await fs.readdir(dir); } catch (err) { if (err.code === 'ENOENT') return []; throw err; }
      const out = [];
      for (const n of names.filter((x) => /^[0-9a-f]{64}\.trade$/.test(x)).sort()) out.push(new Uint8Array(await fs.readFile(`${dir}/${n}`)));
      return out;
    },
    async remove(id) {
      checkKey(id);
      const fs = await mod();
      await fs.rm(`${dir}/${id}.trade`, { force: true });
    },
  };
}

/** An IndexedDB database (one object store, "trades") in the browser. */
export function indexedDbStorage(name) {
  if (typeof indexedDB === 'undefined') throw new StarlingError('NO_INDEXEDDB', 'indexedDbStorage needs a browser with IndexedDB');
  let db = null;
  const open = () => db ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('trades');
      req.result.createObjectStore('meta');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const run = async (mode, fn, store = 'trades') => {
    const d = await open();
    return new Promise((resolve, reject) => {
      const tx = d.transaction(store, mode);
      const req = fn(tx.objectStore(store));
      tx.oncomplete = () => resolve(req?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  };
  return {
    kind: 'indexeddb',
    name,
    async save(id, bytes) { checkKey(id); await run('readwrite', (s) => s.put(bytes.slice(), id)); },
    async loadAll() { return ((await run('readonly', (s) => s.getAll())) ?? []).map((b) => new Uint8Array(b)); },
    async remove(id) { await run('readwrite', (s) => s.delete(id)); },
    async saveMeta(key, bytes) { await run('readwrite', (s) => s.put(bytes.slice(), key), 'meta'); },
    async loadMeta(key) { const b = await run('readonly', (s) => s.get(key), 'meta'); return b ? new Uint8Array(b) : null; },
  };
}

/**
 * The default for a peer: IndexedDB in browsers, files under
 * ~/.starling/trades/<peer id> in Node; 'memory', a directory path, or
 * a storage object (save, loadAll, remove) as given.
 */
export async function defaultStorage(option, peerId) {
  if (option && typeof option === 'object') return option;
  if (option === 'memory') return memoryStorage();
  if (typeof option === 'string' && option !== 'auto') return fileStorage(option);
  if (option !== undefined && option !== 'auto') throw new TypeError("trades.storage must be 'auto', 'memory', a directory path or a storage object");
  if (typeof indexedDB !== 'undefined') return indexedDbStorage(`starling-trades-${peerId}`);
  if (isNode) return fileStorage(`${await homeDir()}/.starling/trades/${peerId}`);
  return memoryStorage();
}
