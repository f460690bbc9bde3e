// chromium.js — one of the two pages of bench/chromium.js. It measures,
// when the harness asks (page.evaluate), a bare RTCDataChannel to the
// other page (signalled through a BroadcastChannel, both pages in one
// browser) and a Starling session to the other page's peer (signalled
// through the hub that serves this page).
import { init, Identity, createPeer } from '/js-glue/index.js';

const MiB = 1024 * 1024;
const HIGH = MiB;          // the same backpressure marks Starling's paths use
const LOW = 256 * 1024;
let bare = null;           // { pc, channel }
let peer = null;
let other = null;          // the other page's peer id
const signals = new BroadcastChannel('starling-bench');
let onSignal = () => {};
signals.onmessage = (e) => onSignal(e.data);

const drained = (ch) => new Promise((ok) => {
  if (ch.bufferedAmount <= LOW) return ok();
  ch.bufferedAmountLowThreshold = LOW;
  ch.addEventListener('bufferedamountlow', ok, { once: true });
});

/** Both pages call it; the offerer resolves with ms from start to an open channel. */
async function bareConnect(offerer) {
  bare?.pc.close();
  const pc = new RTCPeerConnection({ iceServers: [] });
  const pending = [];
  let described = false;
  onSignal = async (m) => {
    if (m.type === 'cand') {
      if (described) await pc.addIceCandidate(m.candidate).catch(() => {});
      else pending.push(m.candidate);
      return;
    }
    await pc.setRemoteDescription(m.description);
    described = true;
    for (const c of pending.splice(0)) await pc.addIceCandidate(c).catch(() => {});
    if (m.description.type === 'offer') {
      await pc.setLocalDescription(await pc.createAnswer());
      signals.postMessage({ type: 'desc', description: pc.localDescription.toJSON() });
    }
  };
  pc.onicecandidate = (e) => { if (e.candidate) signals.postMessage({ type: 'cand', candidate: e.candidate.toJSON() }); };
  const t0 = performance.now();
  let channel;
  if (offerer) {
    channel = pc.createDataChannel('bare', { ordered: true });
    await pc.setLocalDescription(await pc.createOffer());
    signals.postMessage({ type: 'desc', description: pc.localDescription.toJSON() });
    await new Promise((ok) => { channel.onopen = ok; });
  } else {
    channel = await new Promise((ok) => { pc.ondatachannel = (e) => ok(e.channel); });
    if (channel.readyState !== 'open') await new Promise((ok) => { channel.onopen = ok; });
  }
  channel.binaryType = 'arraybuffer';
  bare = { pc, channel };
  // The receiving side counts bytes and says "done" when `total` arrived.
  let got = 0;
  let want = Infinity;
  channel.onmessage = (e) => {
    if (typeof e.data === 'string') { want = Number(e.data); got = 0; return; }
    got += e.data.byteLength;
    if (got >= want) channel.send('done');
  };
  return performance.now() - t0;
}

/** Sender side: `total` bytes as `size`-byte messages; MB/s until the receiver has them all. */
async function bareSend(size, total) {
  const { channel } = bare;
  const msg = new Uint8Array(size);
  const done = new Promise((ok) => { channel.onmessage = (e) => { if (e.data === 'done') ok(); }; });
  channel.send(String(total));
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += size) {
    if (channel.bufferedAmount > HIGH) await drained(channel);
    channel.send(msg);
  }
  await done;
  return total / ((performance.now() - t0) / 1000) / 1e6;
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A new peer joins `room`; resolves with ms from join to the session with the other page's peer. */
async function starlingConnect(room) {
  await peer?.close();
  await init();
  const identity = Identity.generate();
  const res = await fetch('/dev/token', { method: 'POST', body: JSON.stringify({ publicKey: b64url(identity.publicKey) }) });
  const { token } = await res.json();
  peer = await createPeer({ hubUrl: `ws://${location.host}/`, token, identity, gossip: false });
  const connected = new Promise((ok) => peer.addEventListener('peer:connect', (e) => ok(e.detail), { once: true }));
  const t0 = performance.now();
  peer.join(room);
  const detail = await connected;
  other = detail.peerId;
  return { ms: performance.now() - t0, path: detail.path };
}

/** `total` bytes as `size`-byte messages, at most 4 MiB unacknowledged; MB/s until all acknowledged. */
async function starlingSend(size, total) {
  const msg = new Uint8Array(size);
  let outstanding = 0;
  let release = null;
  const all = [];
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += size) {
    while (outstanding + size > 4 * MiB) await new Promise((ok) => { release = ok; });
    outstanding += size;
    all.push(peer.send(other, msg).then(() => { outstanding -= size; release?.(); release = null; }));
  }
  await Promise.all(all);
  return total / ((performance.now() - t0) / 1000) / 1e6;
}

async function closeAll() {
  bare?.pc.close();
  await peer?.close();
}

window.bench = { bareConnect, bareSend, starlingConnect, starlingSend, closeAll };
window.benchReady = true;
