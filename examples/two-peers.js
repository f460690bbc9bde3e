// two-peers.js — the README's first hour in one file: two peers get dev
// tokens from a hub, meet in a room, connect (directly over WebRTC, or
// through the hub's relay) and exchange a message each way.
//   npx starling hub --dev            (in another terminal; or `npm start`)
//   node examples/two-peers.js [hubUrl, default ws://127.0.0.1:9090]
import { init, Identity, createPeer } from 'starling';

const hubUrl = process.argv[2] ?? 'ws://127.0.0.1:9090';
const httpUrl = hubUrl.replace(/^ws/, 'http');

/** A token from the dev hub's POST /dev/token (dev only: a real app's server mints them). */
async function devToken(identity, userId) {
  const publicKey = Buffer.from(identity.publicKey).toString('base64url');
  const res = await fetch(`${httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ publicKey, userId }) });
  if (!res.ok) throw new Error(`/dev/token: ${res.status} ${await res.text()} (is the hub started with --dev?)`);
  return (await res.json()).token;
}

async function startPeer(name) {
  const identity = Identity.generate();
  const peer = await createPeer({ hubUrl, identity, token: await devToken(identity, name) });
  peer.addEventListener('message', (e) => console.log(`${name} got "${e.detail.data}"`));
  return peer;
}

await init();
const [alice, bob] = [await startPeer('alice'), await startPeer('bob')];
const met = new Promise((resolve) => bob.addEventListener('peer:connect', (e) => resolve(e.detail), { once: true }));
alice.join('first-hour');
bob.join('first-hour');
const { peerId, path } = await met;
console.log(`bob connected to ${peerId.slice(0, 16)}… over the ${path} path`);
try {
  await bob.send(alice.peerId, 'hello from bob');           // resolves once alice has it
  await alice.send(bob.peerId, 'hello from alice');
} catch (err) {
  console.error(`not delivered: ${err.code}`);               // a rejected send was not delivered
  process.exitCode = 1;
}
await Promise.all([alice.close(), bob.close()]);
