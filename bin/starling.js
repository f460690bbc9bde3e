#!/usr/bin/env node
// starling — command line. `starling hub` starts the signaling + relay hub.
// Every failure prints one `starling: ...` line and exits non-zero: 2 for
// usage and configuration, 1 when the hub cannot start.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startHub } from '../js-glue/hub.js';

const usage = `usage: starling hub [options]

Starts the Starling signaling + relay hub.

options:
  --port N      port to listen on (default: $SIGNALING_PORT, else 9090)
  --host H      address to listen on (default: $HOST, else 127.0.0.1, which
                other machines cannot reach; use 0.0.0.0 behind a TLS proxy)
  --dev         enable POST /dev/token, which mints a token for any key
                (never on a hub others can reach; with no JWT_SECRET a
                random secret is made for this run)
  --turn-url U  a stun:/turn:/turns: URL whose credentials the hub hands to
                every authenticated peer (repeat for several; needs
                TURN_SECRET, coturn's static-auth-secret)
  --turn-ttl S  lifetime of those credentials in seconds (default 3600)
  --redis URL   share rooms with every hub on this Redis (redis://host:port;
                needs the package redis); without it the hub is on its own
  -h, --help    show this help

environment:
  JWT_SECRET      HS256 secret, at least 32 bytes        } exactly one
  JWT_PUBLIC_KEY  EdDSA issuer public key, base64url     } of these
  JWT_AUDIENCE    required "aud" claim (optional)
  JWT_ISSUER      required "iss" claim (optional)
  TURN_SECRET     coturn's static-auth-secret (use-auth-secret), for --turn-url
  TURN_URLS       default for --turn-url, comma-separated
  REDIS_URL       default for --redis
  SIGNALING_PORT  default for --port
  HOST            default for --host`;

class UsageError extends Error {}

function options(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        port: { type: 'string' }, host: { type: 'string' }, dev: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        'turn-url': { type: 'string', multiple: true }, 'turn-ttl': { type: 'string' }, redis: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError(`${err.message.split('\n')[0]} (see starling --help)`);
  }
  const { positionals, values } = parsed;
  if (values.help) return { help: true };
  if (positionals[0] !== 'hub' || positionals.length > 1) throw new UsageError(`unknown command '${positionals.join(' ')}' (see starling --help)`);
  const env = process.env;
  const portText = values.port ?? env.SIGNALING_PORT ?? '9090';
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--port must be a number from 0 to 65535 (got '${portText}')`);
  if (env.JWT_SECRET && env.JWT_PUBLIC_KEY) throw new UsageError('set exactly one of JWT_SECRET and JWT_PUBLIC_KEY, not both');
  let jwtSecret = env.JWT_SECRET;
  if (!jwtSecret && !env.JWT_PUBLIC_KEY) {
    if (!values.dev) throw new UsageError('set JWT_SECRET (HS256, >= 32 bytes) or JWT_PUBLIC_KEY (EdDSA issuer key, base64url)');
    jwtSecret = randomBytes(32).toString('base64url');
  }
  if (values.dev && !jwtSecret) throw new UsageError('--dev mints HS256 tokens: it needs JWT_SECRET, not JWT_PUBLIC_KEY');
  const turnUrls = values['turn-url'] ?? (env.TURN_URLS ? env.TURN_URLS.split(',').map((u) => u.trim()).filter(Boolean) : []);
  if (turnUrls.length && !env.TURN_SECRET) throw new UsageError('--turn-url needs TURN_SECRET (coturn\'s static-auth-secret)');
  const ttlText = values['turn-ttl'] ?? '3600';
  if (!/^\d+$/.test(ttlText)) throw new UsageError(`--turn-ttl must be a number of seconds (got '${ttlText}')`);
  const turn = turnUrls.length ? { secret: env.TURN_SECRET, urls: turnUrls, ttlSeconds: Number(ttlText) } : undefined;
  return {
    turn,
    redis: values.redis ?? (env.REDIS_URL || undefined),
    port: Number(portText), host: values.host ?? env.HOST ?? '127.0.0.1', dev: !!values.dev,
    jwtSecret, jwtPublicKey: env.JWT_PUBLIC_KEY, audience: env.JWT_AUDIENCE, issuer: env.JWT_ISSUER,
  };
}

async function main(argv) {
  const opts = options(argv);
  if (opts.help) {
    console.log(usage);
    return 0;
  }
  // Handlers first: a signal that arrives as soon as the URL is printed
  // (a supervisor, a test) must close the hub, not kill the process.
  let hub = null;
  const stop = async () => { await hub?.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  hub = await startHub(opts);
  console.log(`starling hub listening: ${hub.url} (health: ${hub.httpUrl}/health, metrics: ${hub.httpUrl}/metrics)${opts.redis ? ` with the hubs on ${opts.redis}` : ''}`);
  if (opts.dev) console.log(`starling hub: dev mode, tokens from POST ${hub.httpUrl}/dev/token — never expose this hub`);
  return null;
}

main(process.argv.slice(2)).then((code) => { if (code !== null) process.exitCode = code; }, (err) => {
  console.error(`starling: ${err.code ? `${err.code}: ` : ''}${err.message}`);
  process.exitCode = err instanceof UsageError || err.code === 'INVALID_OPTION' || err instanceof TypeError || err instanceof RangeError ? 2 : 1;
});
