// token.js — mints the JWTs a hub accepts (Node only), so an application
// server does not write its own from the protocol text. The claims are the
// ones src/auth/jwt.c checks: userId, publicKey (the Ed25519 key the
// client proves in the challenge, base64url), exp, and aud / iss when the
// hub is configured with them.
import { createHmac, createPrivateKey, sign } from 'node:crypto';

const B64URL_KEY = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, unpadded base64url
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex'); // DER prefix of a raw seed

const b64json = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** True if `key` is 32 bytes in unpadded base64url (standard base64 is refused). */
export function isBase64urlKey(key) {
  return typeof key === 'string' && B64URL_KEY.test(key) && Buffer.from(key, 'base64url').length === 32;
}

/**
 * A token for a hub: HS256 with `secret`, or EdDSA with `privateKey` (a
 * 32-byte Ed25519 seed or a node:crypto KeyObject).
 */
export function mintToken({ secret, privateKey, publicKey, userId, ttlSeconds = 3600, audience, issuer, now = Date.now() } = {}) {
  if ((secret === undefined) === (privateKey === undefined)) throw new TypeError('mintToken needs exactly one of secret (HS256) or privateKey (EdDSA)');
  const pk = publicKey instanceof Uint8Array ? Buffer.from(publicKey).toString('base64url') : publicKey;
  if (!isBase64urlKey(pk)) throw new TypeError('publicKey must be the client\'s 32-byte Ed25519 key (Uint8Array or unpadded base64url)');
  if (typeof userId !== 'string' || userId.length === 0 || Buffer.byteLength(userId) > 128) throw new TypeError('userId must be a string of 1 to 128 bytes');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > 30 * 86400) throw new RangeError('ttlSeconds must be an integer from 1 to 2592000');
  const iat = Math.floor(now / 1000);
  const claims = { userId, publicKey: pk, iat, exp: iat + ttlSeconds };
  if (audience !== undefined) claims.aud = String(audience);
  if (issuer !== undefined) claims.iss = String(issuer);
  if (secret !== undefined) {
    const key = typeof secret === 'string' ? Buffer.from(secret) : Buffer.from(secret);
    if (key.length < 32) throw new RangeError('secret must be at least 32 bytes');
    const body = `${b64json({ alg: 'HS256', typ: 'JWT' })}.${b64json(claims)}`;
    return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
  }
  if (privateKey instanceof Uint8Array && privateKey.length !== 32) throw new TypeError('privateKey must be a 32-byte Ed25519 seed');
  const key = privateKey instanceof Uint8Array
    ? createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, privateKey]), format: 'der', type: 'pkcs8' })
    : privateKey;
  const body = `${b64json({ alg: 'EdDSA', typ: 'JWT' })}.${b64json(claims)}`;
  return `${body}.${sign(null, Buffer.from(body), key).toString('base64url')}`;
}
