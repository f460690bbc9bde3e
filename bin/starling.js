#!/usr/bin/env node
// starling — command line. `starling hub` starts the signaling + relay hub.
//   --port N (or SIGNALING_PORT, default 9090)   --host H (default 127.0.0.1)
//   JWT_SECRET (HS256) or JWT_PUBLIC_KEY (EdDSA issuer key, base64url)
//   JWT_AUDIENCE, JWT_ISSUER (checked when set)
import { parseArgs } from 'node:util';
import { startHub } from '../js-glue/hub.js';

const usage = `usage: starling hub [--port N] [--host H]
  env: JWT_SECRET | JWT_PUBLIC_KEY, JWT_AUDIENCE, JWT_ISSUER, SIGNALING_PORT`;

async function main(argv) {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals[0] !== 'hub') {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const env = process.env;
  if (!env.JWT_SECRET && !env.JWT_PUBLIC_KEY) {
    console.error('starling hub: set JWT_SECRET (HS256, >= 32 bytes) or JWT_PUBLIC_KEY (EdDSA issuer key, base64url)');
    return 2;
  }
  const hub = await startHub({
    port: Number(values.port ?? env.SIGNALING_PORT ?? 9090),
    host: values.host ?? env.HOST ?? '127.0.0.1',
    jwtSecret: env.JWT_SECRET, jwtPublicKey: env.JWT_PUBLIC_KEY,
    audience: env.JWT_AUDIENCE, issuer: env.JWT_ISSUER,
  });
  console.log(`starling hub listening: ${hub.url} (health: ${hub.httpUrl}/health, metrics: ${hub.httpUrl}/metrics)`);
  const stop = async () => { await hub.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return null;
}

main(process.argv.slice(2)).then((code) => { if (code !== null) process.exitCode = code; }, (err) => {
  console.error(`starling: ${err.code ? `${err.code}: ` : ''}${err.message}`);
  process.exitCode = 1;
});
