// The shipped .d.ts files type-check real usage (tests/types/usage.ts) under
// `tsc --strict` with skipLibCheck off, resolving 'starling' through
// package.json's exports map, in the setups users have: a browser app
// (lib es2022 + dom, as Vite's template) and a Node app (lib es2022 +
// @types/node 20, no dom), each with moduleResolution bundler, node16 and
// nodenext. The types declare what they need themselves.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = `${root}/node_modules/typescript/bin/tsc`;
// Inside the package, so 'starling' resolves through its own exports map.
const dir = mkdtempSync(join(root, 'tests/types/.tmp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const libs = {
  browser: { lib: ['es2022', 'dom'], types: [] },
  node: { lib: ['es2022'], types: ['node'] },
  'browser + esnext.disposable': { lib: ['es2022', 'dom', 'esnext.disposable'], types: [] },
};
const resolutions = { bundler: 'esnext', node16: 'node16', nodenext: 'nodenext' };

for (const [env, libOpts] of Object.entries(libs)) {
  for (const [moduleResolution, module] of Object.entries(resolutions)) {
    test(`the .d.ts files type-check for a ${env} app, moduleResolution ${moduleResolution}`, () => {
      const config = join(dir, `tsconfig.${env.replace(/\W+/g, '-')}.${moduleResolution}.json`);
      writeFileSync(config, JSON.stringify({
        compilerOptions: {
          strict: true, noEmit: true, target: 'es2022', module, moduleResolution, skipLibCheck: false,
          typeRoots: [join(root, 'node_modules/@types')], ...libOpts,
        },
        files: [join(root, 'tests/types/usage.ts')],
      }));
      const r = spawnSync(process.execPath, [tsc, '-p', config], { encoding: 'utf8', cwd: root });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });
  }
}
