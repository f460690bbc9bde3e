// platform-browser.js — what bundlers put in place of platform-node.js
// (package.json "browser" field): the same functions, with the browser's
// own WebSocket and RTCPeerConnection and no file system.
import { StarlingError } from './errors.js';

export const isNode = false;

const noFiles = () => Promise.reject(new StarlingError('NOT_SUPPORTED', 'there is no file system here: use memoryStorage() or indexedDbStorage()'));
export const fsPromises = noFiles;
export const homeDir = noFiles;

function global(name) {
  if (typeof globalThis[name] === 'function') return Promise.resolve(globalThis[name]);
  return Promise.reject(new StarlingError('NOT_SUPPORTED', `this environment has no ${name}; pass one in the options`));
}
export const webSocketClass = () => global('WebSocket');
export const rtcPeerConnectionClass = () => global('RTCPeerConnection');
