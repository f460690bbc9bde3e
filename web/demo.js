// demo.js — the chat page `npm start` serves. One peer per tab: it gets a
// token from the hub's dev-only endpoint, joins a room, and chats with every
// peer there over end-to-end encrypted sessions, showing each peer's path
// (direct WebRTC or hub relay), the hub's state and a log. The topic view
// shows pubsub: peers discovered (through a hub room or gossip), the mesh
// peers of the topic, and a chat published on the topic. The orderbook view
// (orderbook-view.js) is one pair's book shared by every tab; the trade
// view (trade-view.js) takes orders from it and sends tips.
import { init, Identity, createPeer } from '../js-glue/index.js';
import { orderbookView } from './orderbook-view.js';
import { tradeView } from './trade-view.js';
import { demoWallet } from '/vendor/wallet.js';

const $ = (id) => document.getElementById(id);
const short = (id) => `${id.slice(0, 12)}…${id.slice(-4)}`;
const params = new URLSearchParams(location.search);
const rooms = (params.get('room') ?? 'demo').split(',').filter(Boolean);
const topic = params.get('topic') ?? 'starling/demo/chat';
const pair = params.get('pair') ?? 'BTC-USDT';
const forceRelay = params.get('relay') === '1';
const paths = new Map(); // peer id -> 'direct' | 'relay' | null

function log(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  $('log').prepend(li);
}

/** One line of a conversation: the room chat ('chat') or the topic's ('gossip'). */
function say(list, from, text, mine = false) {
  const li = document.createElement('li');
  li.className = mine ? 'mine' : '';
  const who = document.createElement('strong');
  who.textContent = mine ? 'you' : short(from);
  li.append(who, document.createTextNode(` ${text}`));
  $(list).append(li);
}

/** Discovered peers (and how) and the topic's mesh, redrawn each second. */
function renderTopic(peer) {
  const found = peer.discovery?.list() ?? [];
  const list = $('discovered');
  list.replaceChildren(...found.map(({ peerId, how }) => {
    const li = document.createElement('li');
    const badge = document.createElement('span');
    badge.className = `how ${how}`;
    badge.textContent = how === 'hub' ? 'hub room' : how;
    li.append(badge, document.createTextNode(short(peerId)));
    return li;
  }));
  if (!found.length) list.innerHTML = '<li class="empty">none yet</li>';
  const mesh = peer.pubsub.getMeshPeers(topic);
  $('mesh').replaceChildren(...mesh.map((id) => Object.assign(document.createElement('li'), { textContent: short(id) })));
  if (!mesh.length) $('mesh').innerHTML = '<li class="empty">none yet</li>';
  document.body.dataset.discovered = String(found.length);
  document.body.dataset.mesh = String(mesh.length);
  $('gossip-message').disabled = !mesh.length;
  document.querySelector('#publish button').disabled = !mesh.length;
}

function hubState(text, cls) {
  $('hub').textContent = text;
  $('hub').className = cls;
}

function renderPeers() {
  const list = $('peers');
  list.replaceChildren();
  const connected = [...paths].filter(([, path]) => path);
  document.body.dataset.peers = String(connected.length);
  if (!paths.size) {
    list.innerHTML = '<li class="empty">nobody yet — open this page in another tab</li>';
    return;
  }
  for (const [id, path] of paths) {
    const li = document.createElement('li');
    const badge = document.createElement('span');
    badge.className = `path ${path ?? 'none'}`;
    badge.textContent = path ?? 'connecting';
    li.append(badge, document.createTextNode(` ${short(id)}`));
    list.append(li);
  }
  const ready = connected.length > 0;
  $('message').disabled = !ready;
  document.querySelector('#send button').disabled = !ready;
}

async function main() {
  await init();
  // The tab's identity survives a reload (sessionStorage), so its trades
  // resume from IndexedDB; another tab is another identity.
  let seed = sessionStorage.getItem('starling-seed');
  if (!seed) {
    seed = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
    sessionStorage.setItem('starling-seed', seed);
  }
  const seedBytes = Uint8Array.from(seed.match(/../g), (x) => parseInt(x, 16));
  const identity = Identity.fromSeed(seedBytes);
  const wallet = demoWallet(seedBytes, { signDelayMs: Number(params.get('signDelay') ?? 0) });
  $('me').textContent = short(identity.peerId);
  $('room').textContent = rooms.join(', ');
  $('topic').textContent = topic;
  const publicKey = btoa(String.fromCharCode(...identity.publicKey)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  // A real application gets its token from its own auth service.
  const getToken = async () => (await (await fetch('/dev/token', { method: 'POST', body: JSON.stringify({ publicKey }) })).json()).token;
  const hubUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
  const peer = await createPeer({ hubUrl, token: getToken, identity, wallet, ...(forceRelay ? { iceTransportPolicy: 'relay', directTimeoutMs: 3000 } : {}) });
  hubState('connected', 'ok');
  log(`authenticated as ${short(peer.peerId)}${forceRelay ? ' (direct path disabled: relay forced)' : ''}`);

  peer.addEventListener('peer:connect', (e) => log(`session with ${short(e.detail.peerId)} over ${e.detail.path}`));
  peer.addEventListener('connection:path', (e) => {
    paths.set(e.detail.peerId, e.detail.path);
    if (e.detail.path) log(`${short(e.detail.peerId)}: path is now ${e.detail.path}`);
    renderPeers();
  });
  peer.addEventListener('connection:fallback', (e) => log(`${short(e.detail.peerId)}: falling back to the relay (${e.detail.reason})`));
  peer.addEventListener('peer:disconnect', (e) => {
    paths.delete(e.detail.peerId);
    log(`${short(e.detail.peerId)} left (${e.detail.reason})`);
    renderPeers();
  });
  peer.addEventListener('peer:error', (e) => log(`${short(e.detail.peerId)}: ${e.detail.path} path failed: ${e.detail.code}`));
  peer.addEventListener('message', (e) => say('chat', e.detail.from, typeof e.detail.data === 'string' ? e.detail.data : `(${e.detail.data.length} bytes)`));
  peer.addEventListener('hub:disconnect', () => { hubState('reconnecting…', 'pending'); log('hub connection lost; reconnecting'); });
  peer.addEventListener('hub:connect', () => { hubState('connected', 'ok'); log('hub reconnected; rooms re-joined'); });
  peer.addEventListener('hub:error', (e) => log(`hub: ${e.detail.code}`));

  $('send').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('message').value.trim();
    if (!text) return;
    $('message').value = '';
    say('chat', peer.peerId, text, true);
    const targets = [...paths].filter(([, path]) => path).map(([id]) => id);
    const results = await Promise.allSettled(targets.map((id) => peer.send(id, text)));
    results.forEach((r, i) => log(r.status === 'fulfilled' ? `delivered to ${short(targets[i])}` : `not delivered to ${short(targets[i])}: ${r.reason.code}`));
  });
  peer.addEventListener('peer:discovery', (e) => log(`discovered ${short(e.detail.peerId)} (${e.detail.how})`));
  peer.addEventListener('gossip:message', (e) => {
    if (e.detail.topic === topic) say('gossip', e.detail.from, new TextDecoder().decode(e.detail.data));
  });
  $('publish').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('gossip-message').value.trim();
    if (!text) return;
    $('gossip-message').value = '';
    say('gossip', peer.peerId, text, true);
    try {
      const { recipients } = await peer.pubsub.publish(topic, text);
      log(`published on ${topic} to ${recipients} peer(s)`);
    } catch (err) {
      log(`not published: ${err.code}`);
    }
  });
  peer.pubsub.subscribe(topic);
  const trades = await tradeView(peer, wallet, log);
  window.__book = orderbookView(peer, pair, log, trades.take);
  window.__peer = peer;
  setInterval(() => renderTopic(peer), 1000);
  renderTopic(peer);
  for (const room of rooms) {
    peer.join(room);
    log(`joined room "${room}"`);
  }
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  hubState(`failed: ${err.code ?? err.message}`, 'error');
  log(`error: ${err.code ?? ''} ${err.message}`);
});
