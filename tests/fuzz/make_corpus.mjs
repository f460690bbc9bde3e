// Writes the seed corpora for the fuzz targets (run once; outputs committed).
// node tests/fuzz/make_corpus.mjs            (ONLY=<target> for one target)
import { mkdirSync, writeFileSync } from 'node:fs';
import { init, Identity, Handshake, encodeFrame, FrameType } from '../../js-glue/index.js';

await init();
const dir = new URL('./corpus/', import.meta.url);
const only = process.env.ONLY; // ONLY=hub writes one target's seeds and leaves the rest as committed
const write = (target, name, bytes) => {
  if (only && only !== target) return;
  mkdirSync(new URL(`${target}/`, dir), { recursive: true });
  writeFileSync(new URL(`${target}/${name}`, dir), bytes);
};
const cat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));

// frame_decoder: [cap selector][chunk selector] stream
const frames = cat(encodeFrame(FrameType.DATA, 'hello'), encodeFrame(FrameType.ACK),
  encodeFrame(FrameType.TIP_META, new Uint8Array(300).fill(7)), encodeFrame(FrameType.BATCH, 'x'));
write('frame_decoder', 'stream', cat([255, 3], frames));
write('frame_decoder', 'small-cap', cat([0, 0], frames));
write('frame_decoder', 'empty-frame', Uint8Array.of(4, 1, 0, 0, 0, 0, 1));
write('frame_decoder', 'unknown-type', Uint8Array.of(4, 1, 0, 0, 0, 2, 0x7f, 0));

// handshake_read: [mode][message]
const a = Identity.fromSeed(new Uint8Array(32).fill(1));
const b = Identity.fromSeed(new Uint8Array(32).fill(2));
const hi = new Handshake({ identity: a, initiator: true });
const hr = new Handshake({ identity: b, initiator: false });
const m1 = hi.writeMessage();
hr.readMessage(m1);
const m2 = hr.writeMessage('payload two');
hi.readMessage(m2);
const m3 = hi.writeMessage('payload three');
write('handshake_read', 'msg1', cat([1], m1));
write('handshake_read', 'msg2', cat([2], m2));
write('handshake_read', 'msg3', cat([3], m3));
// A bare NoiseHandshakePayload: key field, signature field, data field.
const payload = cat([0x0a, 36, 8, 1, 0x12, 0x20], a.publicKey, [0x12, 64], new Uint8Array(64), [0x1a, 2, 104, 105]);
write('handshake_read', 'payload', cat([0], payload));

// peer_id
write('peer_id', 'valid', new TextEncoder().encode(a.peerId));
write('peer_id', 'bad-char', new TextEncoder().encode(a.peerId.replace(/.$/, '0')));
// jwt: a well-formed HS256 token (its signature will not match the fuzz
// secret) and pieces of one, so the fuzzer starts from the right shape.
const b64 = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
const jwtBody = b64({ userId: 'alice', publicKey: Buffer.from(a.publicKey).toString('base64url'), exp: 1700000300, aud: 'hub', iss: 'iss' });
write('jwt', 'hs256', new TextEncoder().encode(`${b64({ alg: 'HS256', typ: 'JWT' })}.${jwtBody}.${'A'.repeat(43)}`));
write('jwt', 'eddsa', new TextEncoder().encode(`${b64({ alg: 'EdDSA' })}.${jwtBody}.${'A'.repeat(86)}`));
write('jwt', 'none', new TextEncoder().encode(`${b64({ alg: 'none' })}.${jwtBody}.`));
// signal: one message of each client type.
const enc = (o) => new TextEncoder().encode(JSON.stringify(o));
write('signal', 'auth', enc({ type: 'auth', payload: { token: 'a.b.c' } }));
write('signal', 'auth-proof', enc({ type: 'auth-proof', payload: { signature: 'A'.repeat(86) } }));
write('signal', 'join', enc({ type: 'join', room: 'lobby', id: '1' }));
write('signal', 'offer', enc({ type: 'offer', to: b.peerId, payload: { type: 'offer', sdp: 'v=0' } }));
write('signal', 'ice', enc({ type: 'ice-candidate', to: b.peerId, room: 'lobby', payload: { candidate: 'c', sdpMid: '0' } }));
write('signal', 'relay-open', enc({ type: 'relay-open', to: a.peerId }));
console.log('corpora written');

// hub: events [op][slot][u16 BE len][bytes] (see fuzz_hub.c for the ops)
// (corpus/hub/delivered-not-an-object is not written here: it is the input
// with which fuzz_hub found a delivered non-object passed to a client, kept
// as found so every run replays it.)
const ev = (op, slot, body = '') => {
  const bytes = typeof body === 'number' ? new Uint8Array(0) : new TextEncoder().encode(body);
  const len = typeof body === 'number' ? body : bytes.length;
  return cat([op, slot, len >> 8, len & 255], bytes);
};
const TEXT = 0, BINARY = 1, RECORD = 2, RELAY_OPEN = 3, TICK = 4, CLOSE = 5, OPEN = 6, JOIN = 7;
write('hub', 'relay', cat(ev(RELAY_OPEN, 0), ev(RECORD, 0, 'x'.repeat(100)), ev(RECORD, 1, 'y'.repeat(900)),
  ev(BINARY, 0, 'not a relay frame'), ev(TICK, 0, 60), ev(RECORD, 0, 'late')));
write('hub', 'rooms', cat(ev(TEXT, 0, '{"type":"ping","id":"1"}'), ev(TEXT, 1, '{"type":"leave","room":"r"}'), ev(JOIN, 1),
  ev(TEXT, 0, '{"type":"join","room":"a"}'), ev(TEXT, 0, '{"type":"join","room":"b"}'), ev(TEXT, 2, '{"type":'),
  ev(TEXT, 1, '{"type":"offer","to":"12D3KooWAbc","payload":{}}')));
write('hub', 'lifecycle', cat(ev(OPEN, 3), ev(TEXT, 3, '{"type":"auth","payload":{"token":"a.b.c"}}'), ev(TICK, 0, 110),
  ev(CLOSE, 0), ev(OPEN, 0), ev(TICK, 0, 700)));
write('hub', 'flood', cat(...Array.from({ length: 50 }, () => ev(TEXT, 1, '{"type":"ping"}'))));

// link: [offerer bit] then event pairs [op][arg] (see fuzz_link.c for the ops)
const SET_HUB = 0, START = 1, PRESENT = 2, OFFER = 3, RELAY_READY = 4, READY = 5, FAILED = 6, HUB_LOST = 7, FIRE = 8, CLOSE_LINK = 9;
const DIRECT = 0, RELAY_PATH = 1; // arg bit 0 picks the path; FAILED's reason is 1 + (arg >> 1) % 7
write('link', 'fallback-and-back', Uint8Array.of(1, SET_HUB, 1, START, 0, FAILED, DIRECT, RELAY_READY, 0, READY, RELAY_PATH,
  FIRE, 1, READY, DIRECT, FIRE, 3, HUB_LOST, 0, PRESENT, 0, CLOSE_LINK, 0));
write('link', 'answerer', Uint8Array.of(0, SET_HUB, 1, OFFER, 1, OFFER, 2, FAILED, DIRECT | (5 << 1), RELAY_READY, 0,
  READY, RELAY_PATH, OFFER, 3, READY, DIRECT, FAILED, DIRECT | (2 << 1)));
write('link', 'quick-retries', Uint8Array.of(1, SET_HUB, 1, START, 0, FAILED, DIRECT | (5 << 1), FIRE, 1, FAILED, DIRECT | (5 << 1),
  FIRE, 1, FAILED, DIRECT | (3 << 1), FIRE, 2, RELAY_READY, 0, RELAY_READY, 0, READY, RELAY_PATH));

// delivery: triples [op << 1 | end][a][b] (see fuzz_delivery.c for the ops)
const [SEND, PUMP, CARRY, CARRY_OLD, NEW_PATH, ACK_NOW, TIMER] = [0, 1, 2, 3, 4, 5, 6];
const op = (o, end, a = 0, b = 0) => [(o << 1) | end, a, b];
write('delivery', 'both-ways', Uint8Array.from([
  ...op(SEND, 0, 0, 10), ...op(SEND, 0, 1, 3), ...op(SEND, 1, 0, 7), ...op(PUMP, 0, 0, 3), ...op(PUMP, 1, 4, 0),
  ...op(CARRY, 0, 1, 20), ...op(CARRY, 1, 255, 255), ...op(TIMER, 0), ...op(TIMER, 1), ...op(PUMP, 0, 255, 3),
  ...op(PUMP, 1, 255, 3), ...op(CARRY, 0, 255, 255), ...op(CARRY, 1, 255, 255)].flat()));
write('delivery', 'path-change-mid-frame', Uint8Array.from([
  ...op(SEND, 0, 0x40, 50), ...op(SEND, 0, 0, 5), ...op(SEND, 0, 1, 9), ...op(PUMP, 0, 2, 1), ...op(CARRY, 0, 30, 30),
  ...op(NEW_PATH, 0), ...op(PUMP, 0, 255, 3), ...op(CARRY, 0, 255, 255), ...op(CARRY_OLD, 0, 255, 255),
  ...op(ACK_NOW, 1), ...op(PUMP, 1, 0, 0), ...op(NEW_PATH, 1), ...op(CARRY, 1, 255, 255), ...op(CARRY_OLD, 1, 255, 255)].flat()));
