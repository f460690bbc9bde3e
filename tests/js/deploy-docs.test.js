// docs/deploy.md shows the nginx and coturn configurations that the
// deployment tests run (docs/deploy/*): each block the guide marks with
// <!-- file: path --> must be that file, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('the configurations in docs/deploy.md are the files the tests start nginx and coturn from', () => {
  const guide = readFileSync(join(root, 'docs/deploy.md'), 'utf8');
  const blocks = [...guide.matchAll(/<!-- file: (\S+) -->\n```[a-z]*\n([\s\S]*?)```\n/g)];
  assert.deepEqual(blocks.map((b) => b[1]).sort(), ['docs/deploy/nginx-starling.conf', 'docs/deploy/turnserver.conf']);
  for (const [, path, body] of blocks) assert.equal(body, readFileSync(join(root, path), 'utf8'), `${path} and its block in docs/deploy.md differ`);
});
