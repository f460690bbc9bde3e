// Runs in Chromium: the packed package dials the hub (same origin, which
// also serves this page) with the browser's own WebSocket, authenticates
// with a dev token, joins a room and reports the peer list it gets.
import { init, Identity, connectHub } from '/pkg/js-glue/index.js';

async function run() {
  await init();
  const params = new URLSearchParams(location.search);
  const id = Identity.generate();
  const res = await fetch('/dev/token', { method: 'POST', body: JSON.stringify({ publicKey: btoa(String.fromCharCode(...id.publicKey)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), userId: 'browser' }) });
  const { token } = await res.json();
  const hub = await connectHub({ hubUrl: `ws://${location.host}/`, token, identity: id });
  const list = new Promise((ok) => hub.addEventListener('peer-list', (e) => ok(e.detail.payload.peers), { once: true }));
  hub.join(params.get('room') ?? 'browser-room');
  const peers = await list;
  let insecure = 'accepted';
  try { await connectHub({ hubUrl: 'ws://hub.example.com/', token, identity: id }); } catch (e) { insecure = e.code; }
  return { peerId: id.peerId, confirmed: hub.peerId === id.peerId, peers, insecure };
}
run().then((r) => { window.__result = r; }, (e) => { window.__result = { error: `${e.name} ${e.code ?? ''} ${e.message}` }; });
