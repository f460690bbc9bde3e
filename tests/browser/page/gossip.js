// Runs in Chromium: a Starling peer (packed package) joins ?room=, subscribes
// to ?topic= and publishes "<name> #k" every 300 ms until it has heard from
// every author in ?expect= (comma-separated names). window.__result then
// says what it heard, and from which peer ids; window.__peer is the peer.
import { init, Identity, createPeer } from '/pkg/js-glue/index.js';

async function run() {
  await init();
  const params = new URLSearchParams(location.search);
  const name = params.get('name');
  const topic = params.get('topic');
  const expect = new Set(params.get('expect').split(','));
  const identity = Identity.generate();
  const publicKey = btoa(String.fromCharCode(...identity.publicKey)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const { token } = await (await fetch('/dev/token', { method: 'POST', body: JSON.stringify({ publicKey }) })).json();
  const peer = await createPeer({ hubUrl: `ws://${location.host}/`, token, identity });
  window.__peer = peer;
  window.__peerId = peer.peerId;
  const heard = new Map(); // author name -> peer id
  peer.addEventListener('gossip:message', (e) => {
    if (e.detail.topic !== topic) return;
    const author = new TextDecoder().decode(e.detail.data).split(' #')[0];
    heard.set(author, e.detail.from);
  });
  peer.pubsub.subscribe(topic);
  peer.join(params.get('room'));
  let k = 0;
  while (![...expect].every((a) => heard.has(a))) {
    await new Promise((ok) => setTimeout(ok, 300));
    await peer.pubsub.publish(topic, `${name} #${k++}`).catch(() => {}); // no peer yet
  }
  // Keep publishing for the others, who may not have heard us yet.
  setInterval(() => peer.pubsub.publish(topic, `${name} #${k++}`).catch(() => {}), 300);
  return { peerId: peer.peerId, heard: Object.fromEntries(heard) };
}
run().then((r) => { window.__result = r; }, (e) => { window.__result = { error: `${e.name} ${e.code ?? ''} ${e.message}` }; });
