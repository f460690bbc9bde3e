// A browser app that uses Starling as a user installs it: `npm install
// starling`, `import … from 'starling'`, `vite build`. It joins the room
// "vite-app" on a dev hub (`npx starling hub --dev`), greets every peer it
// connects to and lists what it hears. The hub is ?hub=ws://host:port, by
// default the dev hub on port 9090 of the page's host.
import { init, Identity, createPeer } from 'starling';

const params = new URLSearchParams(location.search);
const hubUrl = params.get('hub') ?? `ws://${location.hostname}:9090`;
const show = (id, text) => { document.getElementById(id).textContent = text; };
const log = (text) => {
  const li = document.createElement('li');
  li.textContent = text;
  document.getElementById('log').append(li);
};
// What a test (or a curious user in the console) can read.
const state = { peerId: null, connected: [], received: [], error: null };
window.starlingApp = state;

/** A dev token from the hub (dev only: a real app's server mints tokens). */
async function devToken(identity) {
  const publicKey = btoa(String.fromCharCode(...identity.publicKey)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const res = await fetch(`${hubUrl.replace(/^ws/, 'http')}/dev/token`, { method: 'POST', body: JSON.stringify({ publicKey, userId: 'vite-app' }) });
  if (!res.ok) throw new Error(`/dev/token answered ${res.status}: is the hub started with --dev?`);
  return (await res.json()).token;
}

try {
  await init(); // the .wasm is found next to the bundle: Vite emits it as an asset
  const identity = Identity.generate();
  state.peerId = identity.peerId;
  show('me', identity.peerId);
  const peer = await createPeer({ hubUrl, identity, token: await devToken(identity) });
  peer.addEventListener('peer:connect', async ({ detail }) => {
    state.connected.push({ peerId: detail.peerId, path: detail.path });
    log(`connected to ${detail.peerId} (${detail.path})`);
    await peer.send(detail.peerId, `hello from ${identity.peerId}`);
  });
  peer.addEventListener('message', ({ detail }) => {
    state.received.push({ from: detail.from, data: String(detail.data) });
    log(`${detail.from}: ${detail.data}`);
  });
  peer.join('vite-app');
  show('status', 'in the room');
} catch (err) {
  state.error = `${err.code ?? err.name}: ${err.message}`;
  show('status', state.error);
}
