// demo.js — the browser side of `npm start` until the hub exists: two
// identities, a Noise handshake and an encrypted exchange, all in this page.
import { init, Identity, Handshake } from '../js-glue/index.js';

const $ = (id) => document.getElementById(id);
const hex = (b, n = 16) => [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join('') + (b.length > n ? '…' : '');
function log(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('log').append(li);
}
function status(text, cls = '') {
  $('status').textContent = text;
  $('status').className = cls;
}

async function main() {
  const t0 = performance.now();
  await init();
  log(`wasm core loaded in ${(performance.now() - t0).toFixed(1)} ms`);
  const alice = Identity.generate();
  const bob = Identity.generate();
  $('alice-id').textContent = alice.peerId;
  $('bob-id').textContent = bob.peerId;

  const prologue = 'demo: both sides bind the same path bytes';
  const a = new Handshake({ identity: alice, initiator: true, prologue, remotePeerId: bob.peerId });
  const b = new Handshake({ identity: bob, initiator: false, prologue });
  const m1 = a.writeMessage();
  b.readMessage(m1);
  log(`-> message 1 (${m1.length} bytes): e`);
  const m2 = b.writeMessage();
  a.readMessage(m2);
  log(`<- message 2 (${m2.length} bytes): e, ee, s, es + Bob's signed identity`);
  const m3 = a.writeMessage();
  b.readMessage(m3);
  log(`-> message 3 (${m3.length} bytes): s, se + Alice's signed identity`);
  log(`handshake hash ${hex(a.handshakeHash)}; Bob sees Alice as ${b.remotePeerId.slice(0, 16)}…`);
  const toBob = a.split();
  const atBob = b.split();

  $('send').querySelector('button').disabled = false;
  $('send').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const record = toBob.encrypt($('message').value);
    log(`record ${record.length} bytes: ${hex(record)}`);
    const text = new TextDecoder().decode(atBob.decrypt(record));
    log(`Bob decrypted: "${text}"`);
    status(`secure session up — last message "${text}"`, 'ok');
  });
  status('secure session up', 'ok');
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  status(`${err.name}: ${err.code ?? ''} ${err.message}`, 'error');
  log(err.stack ?? String(err));
  document.body.dataset.ready = 'error';
});
