// platform-node.js — the only file of the library that reaches for Node's
// modules and the Node-only packages (ws, node-datachannel). package.json's
// "browser" field maps it to platform-browser.js, so a browser bundler
// (Vite, esbuild, webpack) never puts any of them in an app's graph. The
// imports are dynamic: loaded unbundled in a page (the demo), this file
// costs nothing until a function here is called, which a page never does.
import { StarlingError } from './errors.js';

export const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** A missing optional peer dependency, named with the command that adds it. */
function missing(pkg, what, err) {
  const e = new StarlingError('MISSING_DEPENDENCY', `${what} in Node needs the package "${pkg}": npm install ${pkg}`);
  e.cause = err;
  return e;
}

/** node:fs/promises */
export const fsPromises = () => import('node:fs/promises');

/** The home directory (default trade storage). */
export async function homeDir() {
  return (await import('node:os')).homedir();
}

/** The WebSocket class for dialling hubs: the global one, else `ws`. */
export async function webSocketClass() {
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
  try {
    return (await import('ws')).WebSocket;
  } catch (err) {
    throw missing('ws', 'dialling a hub', err);
  }
}

/** RTCPeerConnection: the global one, else node-datachannel's polyfill. */
export async function rtcPeerConnectionClass() {
  if (typeof globalThis.RTCPeerConnection === 'function') return globalThis.RTCPeerConnection;
  let polyfill, ndc;
  try {
    [polyfill, ndc] = await Promise.all([import('node-datachannel/polyfill'), import('node-datachannel')]);
  } catch (err) {
    throw missing('node-datachannel', 'WebRTC', err);
  }
  cleanupAtExit(ndc.cleanup);
  return class extends polyfill.RTCPeerConnection {
    constructor(config = {}) {
      super({ ...config, iceServers: config.iceServers?.map(percentEncodedCredentials) });
    }
  };
}

/** node-datachannel hands each ICE server to libdatachannel as one URL,
 * turn:<username>:<credential>@host, which libdatachannel splits at the
 * first ':' and then percent-decodes. TURN REST usernames carry a ':'
 * ("<expiry>:<user>") and base64 credentials '/', '+' and '=': encoded,
 * they arrive whole. */
function percentEncodedCredentials(server) {
  if (!server?.username || !server?.credential) return server;
  return { ...server, username: encodeURIComponent(server.username), credential: encodeURIComponent(server.credential) };
}

/** libdatachannel runs its own threads; if the process exits while they
 * still hold connections, static destructors race them (an abort in
 * pthread_mutex_lock was seen after a few hundred peers). Its cleanup()
 * closes what is left and joins the threads first. Once per process. */
let cleanupRegistered = false;
function cleanupAtExit(cleanup) {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  process.once('exit', () => { try { cleanup(); } catch { /* exiting anyway */ } });
}

/** ws's WebSocketServer, for the hub. */
export async function webSocketServerClass() {
  try {
    return (await import('ws')).WebSocketServer;
  } catch (err) {
    throw missing('ws', 'running a hub', err);
  }
}
