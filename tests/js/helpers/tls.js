// tls.js — a throwaway certificate authority and one server certificate
// signed by it, made with openssl for a test run: what the nginx and NAT
// tests put in front of the hub. Nothing here is trusted by the machine;
// Node processes get NODE_EXTRA_CA_CERTS=ca.pem, Chromium the CA's key
// hash (--ignore-certificate-errors-spki-list, which accepts a chain
// that contains a certificate with that key).
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';

const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Makes ca.pem, privkey.pem and fullchain.pem (server certificate, then
 * the CA) in dir, for the given DNS names and IP addresses.
 * @returns {{ ca: string, key: string, chain: string, caSpki: string }}
 */
export function makeCertificates(dir, { dns = ['localhost'], ips = ['127.0.0.1'] } = {}) {
  const p = (name) => join(dir, name);
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=Starling test CA', '-keyout', p('ca.key'), '-out', p('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${dns[0] ?? ips[0]}`,
    '-keyout', p('privkey.pem'), '-out', p('server.csr'));
  const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
  writeFileSync(p('server.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-days', '2', '-out', p('server.pem'), '-extfile', p('server.ext'));
  writeFileSync(p('fullchain.pem'), readFileSync(p('server.pem'), 'utf8') + readFileSync(p('ca.pem'), 'utf8'));
  const caCert = new X509Certificate(readFileSync(p('ca.pem')));
  const spki = caCert.publicKey.export({ type: 'spki', format: 'der' });
  return { ca: p('ca.pem'), key: p('privkey.pem'), chain: p('fullchain.pem'), caSpki: createHash('sha256').update(spki).digest('base64') };
}
