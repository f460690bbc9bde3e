// servers.js — nginx and coturn for the deployment tests, each started
// from the configuration file that docs/deploy.md shows (docs/deploy/),
// optionally inside a network namespace. Only the values the files mark
// as "yours" change: addresses, ports, certificates, the secret.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
export const NGINX_SITE = join(root, 'docs/deploy/nginx-starling.conf');
export const TURN_CONF = join(root, 'docs/deploy/turnserver.conf');

/** argv prefixed to run inside namespace ns (or as is without one). */
export const nsArgv = (ns, argv) => (ns ? ['ip', ['netns', 'exec', ns, ...argv]] : [argv[0], argv.slice(1)]);

/** Replaces `from` with `to` in text, insisting it occurs exactly once. */
function replaceOnce(text, from, to) {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`${NGINX_SITE}: expected "${from}" exactly once, found ${parts.length - 1}`);
  return parts.join(to);
}

/** Resolves once a TCP connection to host:port succeeds from namespace ns. */
export async function waitForPort(ns, host, port, ms = 10000) {
  const probe = `require('net').connect(${port}, '${host}').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  const deadline = Date.now() + ms;
  for (;;) {
    const [cmd, args] = nsArgv(ns, [process.execPath, '-e', probe]);
    try {
      execFileSync(cmd, args, { stdio: 'ignore' });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port}${ns ? ` in ${ns}` : ''} after ${ms} ms`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
}

/**
 * nginx with the guide's site file: listening on listen (host:port),
 * proxying to upstream (host:port), serving the certificate chain.
 * @returns {Promise<{ stop(): void, log(): string }>}
 */
export async function startNginx({ dir, ns, listen, upstream, serverName, chain, key }) {
  mkdirSync(join(dir, 'nginx-tmp'), { recursive: true });
  let site = readFileSync(NGINX_SITE, 'utf8');
  site = replaceOnce(site, 'server 127.0.0.1:9090;', `server ${upstream};`);
  site = replaceOnce(site, 'listen 443 ssl;', `listen ${listen} ssl;`);
  site = replaceOnce(site, 'server_name hub.example.com;', `server_name ${serverName};`);
  site = replaceOnce(site, '/etc/ssl/starling/fullchain.pem', chain);
  site = replaceOnce(site, '/etc/ssl/starling/privkey.pem', key);
  writeFileSync(join(dir, 'site.conf'), site);
  // The wrapper is what a distribution's /etc/nginx/nginx.conf does: it
  // includes the site file at http level. Here it also keeps nginx in the
  // foreground and every file it writes in dir.
  const tmp = join(dir, 'nginx-tmp');
  writeFileSync(join(dir, 'nginx.conf'), `daemon off;
user root;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} info;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${tmp}/body;
    proxy_temp_path ${tmp}/proxy;
    fastcgi_temp_path ${tmp}/fastcgi;
    uwsgi_temp_path ${tmp}/uwsgi;
    scgi_temp_path ${tmp}/scgi;
    include ${join(dir, 'site.conf')};
}
`);
  const [cmd, args] = nsArgv(ns, ['nginx', '-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', join(dir, 'nginx.conf')]);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((_, bad) => proc.once('exit', (code) => bad(new Error(`nginx exited ${code}: ${stderr}`))));
  exited.catch(() => {});
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
  await Promise.race([waitForPort(ns, host, port), exited]);
  return { stop: () => proc.kill('SIGTERM'), log: () => stderr };
}

/**
 * coturn with the guide's turnserver.conf; the machine's address, the
 * shared secret and the realm on the command line, which coturn applies
 * over the file.
 */
export async function startCoturn({ dir, ns, ip, secret, realm = 'starling.test' }) {
  const argv = ['turnserver', '-c', TURN_CONF, '--listening-ip', ip, '--relay-ip', ip, '--static-auth-secret', secret,
    '--realm', realm, '--no-tls', '--no-dtls', '--log-file', 'stdout', '--simple-log', '--pidfile', join(dir, 'turnserver.pid')];
  const [cmd, args] = nsArgv(ns, argv);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((_, bad) => proc.once('exit', (code) => bad(new Error(`turnserver exited ${code}: ${out.slice(-2000)}`))));
  exited.catch(() => {});
  await Promise.race([waitForPort(ns, ip, 3478), exited]);
  return { stop: () => proc.kill('SIGTERM'), log: () => out };
}
