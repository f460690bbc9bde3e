// start.js — what `npm start` runs: the Node example (two identities, a
// handshake, an encrypted exchange), then the hub with embedded dev
// defaults (a generated secret, the dev-only token endpoint) serving the
// demo page from web/ on the same port.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { staticHandler } from './dev-server.js';
import { startHub } from '../js-glue/hub.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = spawnSync(process.execPath, [`${root}/examples/handshake.js`], { stdio: 'inherit' });
if (example.status !== 0) {
  console.error('[start] the Node example failed; see its output above');
  process.exit(1);
}

const port = Number(process.env.PORT ?? 8080);
const hub = await startHub({
  port,
  host: process.env.HOST ?? '127.0.0.1',
  jwtSecret: process.env.JWT_SECRET ?? randomBytes(32).toString('base64url'), // dev default: new each start
  dev: true, // POST /dev/token mints tokens: never expose this hub
  requestHandler: staticHandler({ '/': `${root}/web`, '/js-glue/': `${root}/js-glue`, '/dist/': `${root}/dist`, '/vendor/': `${root}/build/demo` }),
}).catch((err) => {
  console.error(`[start] cannot start the hub on port ${port}: ${err.code ?? err.message}. Set PORT=... to use another.`);
  process.exit(1);
});
console.log(`\n[start] hub:  ${hub.url}  (dev token endpoint: POST ${hub.httpUrl}/dev/token)`);
console.log(`[start] demo: ${hub.httpUrl}/  — open it in two tabs to chat (add ?relay=1 to force the relay path). Ctrl-C to stop.`);
process.on('SIGINT', async () => { await hub.close(); process.exit(0); });
