// init(): idempotent, accepts bytes / a compiled module / a URL, and a
// clear error when the API is used before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const glue = new URL('../../js-glue/index.js', import.meta.url).href;
const wasmUrl = new URL('../../dist/starling_core.wasm', import.meta.url);

function runIsolated(body) {
  const src = `import * as S from ${JSON.stringify(glue)};\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

test('using the API before init() is a clear error', () => {
  const r = runIsolated(`try { S.Identity.generate(); } catch (e) { console.log(e.code); }`);
  assert.equal(r.out, 'NOT_INITIALISED', r.err);
});

test('init() is idempotent', () => {
  const r = runIsolated(`const p = S.init(); console.log(p === S.init()); await p; await S.init(); console.log(S.Identity.generate().peerId.length);`);
  assert.equal(r.out, 'true\n52', r.err);
});

test('init() accepts an ArrayBuffer, a WebAssembly.Module and a URL', () => {
  const bytes = readFileSync(wasmUrl);
  assert.ok(bytes.length > 1000);
  for (const expr of [
    `(await import('node:fs')).readFileSync(new URL(${JSON.stringify(wasmUrl.href)})).buffer`,
    `await WebAssembly.compile((await import('node:fs')).readFileSync(new URL(${JSON.stringify(wasmUrl.href)})))`,
    `new URL(${JSON.stringify(wasmUrl.href)})`,
    JSON.stringify(fileURLToPath(wasmUrl)),
  ]) {
    const r = runIsolated(`await S.init({ wasm: ${expr} }); console.log(S.Identity.generate().peerId.slice(0, 8));`);
    assert.equal(r.out, '12D3KooW', `${expr}: ${r.err}`);
  }
});

test('signing right after generate() works in a fresh process', () => {
  const r = runIsolated(`await S.init(); const id = S.Identity.generate(); console.log(S.Identity.verify(id.publicKey, 'x', id.sign('x')));`);
  assert.equal(r.out, 'true', r.err);
});

test('key generation draws its randomness from Web Crypto', () => {
  const r = runIsolated(`
    let calls = 0;
    const real = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
    Object.defineProperty(globalThis.crypto, 'getRandomValues', { value: (a) => { calls++; return real(a); } });
    await S.init();
    const before = calls;
    for (let i = 0; i < 20; i++) S.Identity.generate(); // 20 x 32 bytes > one 1 KiB pool
    console.log(calls > before);`);
  assert.equal(r.out, 'true', r.err);
});
