// The shipped .d.ts type-checks real usage (tests/types/usage.ts) under
// `tsc --strict`, resolving 'starling' through package.json's exports map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('index.d.ts type-checks a strict TypeScript program', () => {
  const tsc = `${root}/node_modules/typescript/bin/tsc`;
  const r = spawnSync(process.execPath, [tsc, '-p', `${root}/tests/types/tsconfig.json`], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
