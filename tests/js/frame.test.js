// Frames: layout, chunking, limits, and hostile input.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, encodeFrame, encodeFrames, FrameDecoder, FrameError, FrameType } from '../../js-glue/index.js';
import { wasm } from '../../js-glue/core.js';

before(() => init());

// Small deterministic PRNG so failures reproduce.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

test('layout is [u32 BE length][u8 type][payload]', () => {
  assert.deepEqual(encodeFrame(FrameType.DATA, Uint8Array.of(0xaa, 0xbb)), Uint8Array.of(0, 0, 0, 3, 1, 0xaa, 0xbb));
  assert.deepEqual(encodeFrame(FrameType.PING), Uint8Array.of(0, 0, 0, 1, 6));
  assert.deepEqual(encodeFrame(FrameType.TIP_META, 'é'), Uint8Array.of(0, 0, 0, 3, 0x60, 0xc3, 0xa9));
});

test('unknown types are refused by the encoder', () => {
  for (const t of [0, 0x0a, 0x1f, 0x27, 0x61, 255, 256, -1, 1.5]) {
    assert.throws(() => encodeFrame(t, 'x'), (e) => e instanceof FrameError && e.code === 'FRAME_UNKNOWN_TYPE', String(t));
  }
});

test('any chunking of a stream yields the same frames', () => {
  const r = rng(1);
  const types = Object.values(FrameType);
  const sent = [];
  for (let i = 0; i < 300; i++) {
    const payload = Uint8Array.from({ length: Math.floor(r() * (i % 10 === 0 ? 70000 : 200)) }, () => (r() * 256) | 0);
    sent.push({ type: types[i % types.length], payload });
  }
  const stream = Buffer.concat(sent.map((f) => encodeFrame(f.type, f.payload)));
  for (const maxChunk of [1, 2, 5, 7, 64, 1000, 100000, stream.length]) {
    const dec = new FrameDecoder();
    const got = [];
    for (let pos = 0; pos < stream.length;) {
      const n = Math.max(1, Math.floor(r() * maxChunk));
      got.push(...dec.push(stream.subarray(pos, pos + n)));
      pos += n;
    }
    assert.equal(got.length, sent.length, `chunk ${maxChunk}`);
    got.forEach((f, i) => {
      assert.equal(f.type, sent[i].type);
      assert.deepEqual(f.payload, sent[i].payload);
    });
    assert.equal(dec.buffered, 0);
    dec.free();
  }
});

test('payload cap: default 256 KiB, configurable, checked from the header', () => {
  const dec = new FrameDecoder();
  assert.equal(dec.push(encodeFrame(FrameType.FILE_CHUNK, new Uint8Array(256 * 1024))).length, 1);
  assert.throws(() => dec.push(encodeFrame(FrameType.FILE_CHUNK, new Uint8Array(256 * 1024 + 1))),
    (e) => e instanceof FrameError && e.code === 'FRAME_TOO_LARGE');
  // After an error the stream stays failed.
  assert.throws(() => dec.push(encodeFrame(FrameType.DATA, 'ok')), (e) => e.code === 'FRAME_STREAM_FAILED');
  const small = new FrameDecoder({ maxPayload: 10 });
  // Only the 5-byte header of a 4 GiB claim: rejected without waiting for a body.
  assert.throws(() => small.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1)), (e) => e.code === 'FRAME_TOO_LARGE');
  assert.throws(() => new FrameDecoder({ maxPayload: 0 }), RangeError);
  assert.throws(() => new FrameDecoder({ maxPayload: 2 ** 40 }), RangeError);
});

test('frames before an error are reported with it', () => {
  const dec = new FrameDecoder();
  const good = encodeFrame(FrameType.DATA, 'a');
  const err = (() => { try { dec.push(Buffer.concat([good, good, Uint8Array.of(0, 0, 0, 0, 1)])); } catch (e) { return e; } })();
  assert.ok(err instanceof FrameError);
  assert.equal(err.code, 'FRAME_EMPTY');
  assert.equal(err.frames.length, 2);
});

test('random and mutated input throws only FrameError and never over-buffers', () => {
  const r = rng(42);
  const valid = Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeFrame(FrameType.DATA, new Uint8Array(i * 3))));
  let errors = 0;
  for (let iter = 0; iter < 3000; iter++) {
    const maxPayload = 1 + Math.floor(r() * 4096);
    const dec = new FrameDecoder({ maxPayload });
    let input;
    if (iter % 2) {
      input = Uint8Array.from({ length: Math.floor(r() * 600) }, () => (r() * 256) | 0);
    } else {
      input = Uint8Array.from(valid);
      for (let k = 0; k < 1 + r() * 5; k++) input[Math.floor(r() * input.length)] = (r() * 256) | 0;
    }
    try {
      for (let pos = 0; pos < input.length;) {
        const n = 1 + Math.floor(r() * 50);
        for (const f of dec.push(input.subarray(pos, pos + n))) {
          assert.ok(f.payload.length <= maxPayload);
        }
        assert.ok(dec.buffered <= 5 + maxPayload);
        pos += n;
      }
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      assert.match(e.code, /^FRAME_/);
      errors++;
    }
    dec.free();
  }
  assert.ok(errors > 100, 'hostile input produced errors');
});

test('accepts ArrayBuffer and typed-array views', () => {
  const f = encodeFrame(FrameType.ACK, new Uint16Array([1, 2]));
  const dec = new FrameDecoder();
  const [frame] = dec.push(f.buffer);
  assert.equal(frame.type, FrameType.ACK);
  assert.equal(frame.payload.length, 4);
  assert.throws(() => dec.push(42), TypeError);
});

test('the JS encoder accepts exactly the types the C core knows', () => {
  for (let t = 0; t < 256; t++) {
    let ok = true;
    try { encodeFrame(t); } catch { ok = false; }
    assert.equal(ok, wasm()._sl_frame_type_known(t) === 1, `type ${t}`);
  }
});

test('encodeFrames equals concatenated encodeFrame output and validates every frame', () => {
  const list = [{ type: FrameType.DATA, payload: 'a' }, { type: FrameType.PING }, { type: FrameType.ACK, payload: new Uint8Array(300) }];
  assert.deepEqual(encodeFrames(list), new Uint8Array(Buffer.concat(list.map((f) => encodeFrame(f.type, f.payload)))));
  assert.deepEqual(encodeFrames(new Set(list)), encodeFrames(list));
  assert.throws(() => encodeFrames([...list, { type: 0x99 }]), (e) => e.code === 'FRAME_UNKNOWN_TYPE');
});

test('decoded payloads are copies: reusing the input buffer does not change them', () => {
  const input = Buffer.from(encodeFrames([{ type: FrameType.DATA, payload: 'abc' }, { type: FrameType.DATA, payload: 'def' }]));
  const frames = new FrameDecoder().push(input);
  input.fill(0);
  assert.equal(Buffer.from(frames[0].payload).toString(), 'abc');
  assert.equal(Buffer.from(frames[1].payload).toString(), 'def');
  assert.equal(Object.getPrototypeOf(frames[0].payload), Uint8Array.prototype);
});
