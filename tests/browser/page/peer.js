// Runs in Chromium: a Starling peer (packed package) meets another page's
// peer through the hub, opens a real RTCPeerConnection data channel, and
// exchanges encrypted messages (?n= how many, ?room= where, ?relay=1 to
// force the hub relay, ?hub= a hub URL other than this page's origin).
import { init, Identity, createPeer } from '/pkg/js-glue/index.js';

async function run() {
  await init();
  const params = new URLSearchParams(location.search);
  const count = Number(params.get('n') ?? 50);
  const identity = Identity.generate();
  const publicKey = btoa(String.fromCharCode(...identity.publicKey)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const { token } = await (await fetch('/dev/token', { method: 'POST', body: JSON.stringify({ publicKey }) })).json();
  // An instrumented RTCPeerConnection (injection is part of the API): its
  // state changes end up in the diagnostics if the test fails.
  window.__pcs = [];
  class Traced extends RTCPeerConnection {
    constructor(config) {
      super(config);
      const log = [];
      window.__pcs.push(log);
      this.addEventListener('iceconnectionstatechange', () => log.push(`ice:${this.iceConnectionState}`));
      this.addEventListener('connectionstatechange', () => log.push(`conn:${this.connectionState}`));
      this.addEventListener('icecandidate', (e) => log.push(`cand:${e.candidate?.candidate.split(' ').slice(4, 8).join(' ') ?? 'end'}`));
      this.addEventListener('signalingstatechange', () => log.push(`sig:${this.signalingState}`));
    }
  }
  // ?relay=1: ICE may only use TURN, and there is none: the session must fall back to the hub relay.
  const forced = params.get('relay') === '1' ? { iceTransportPolicy: 'relay', directTimeoutMs: 2000 } : {};
  // ?hub=: another way to the hub (wss:// through nginx, say); tokens still come from this origin.
  const hubUrl = params.get('hub') ?? `ws://${location.host}/`;
  const peer = await createPeer({ hubUrl, token, identity, RTCPeerConnection: Traced, ...forced });
  let fallback = null;
  peer.addEventListener('connection:fallback', (e) => { fallback = e.detail.reason; });
  window.__stage = 'hub';
  peer.addEventListener('peer:disconnect', (e) => { window.__stage += ` disconnect(${e.detail.reason})`; });
  peer.addEventListener('peer:error', (e) => { window.__stage += ` error(${e.detail.code}: ${e.detail.message})`; });
  const received = [];
  const allIn = new Promise((ok) => peer.addEventListener('message', (e) => { received.push(e.detail.data); if (received.length === count) ok(); }));
  const connected = new Promise((ok) => peer.addEventListener('peer:connect', (e) => ok(e.detail), { once: true }));
  peer.join(params.get('room') ?? 'webrtc');
  window.__stage += ' joined';
  const other = await connected;
  window.__stage += ' connected';
  await Promise.all(Array.from({ length: count }, (_, i) => peer.send(other.peerId, `#${i}`)));
  window.__stage += ' sent';
  await allIn;
  return { path: other.path, fallback, received: received.length, inOrder: received.every((m, i) => m === `#${i}`), relayMessagesIn: peer.metrics().relay.messagesIn };
}
run().then((r) => { window.__result = r; }, (e) => { window.__result = { error: `${e.name} ${e.code ?? ''} ${e.message}` }; });
