// start.js — what `npm start` runs until the hub exists (issue 3): the Node
// example (two identities, a handshake, an encrypted exchange), then the
// demo page served on localhost.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './dev-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = spawnSync(process.execPath, [`${root}/examples/handshake.js`], { stdio: 'inherit' });
if (example.status !== 0) {
  console.error('[start] the Node example failed; see its output above');
  process.exit(1);
}

const port = Number(process.env.PORT ?? 8080);
const server = await serveStatic({
  mounts: { '/': `${root}/web`, '/js-glue/': `${root}/js-glue`, '/dist/': `${root}/dist` },
  port,
  host: process.env.HOST ?? '127.0.0.1',
}).catch((err) => {
  console.error(`[start] cannot listen on port ${port}: ${err.code ?? err.message}. Set PORT=... to use another.`);
  process.exit(1);
});
console.log(`\n[start] demo: ${server.url}/  (Ctrl-C to stop)`);
process.on('SIGINT', async () => { await server.close(); process.exit(0); });
