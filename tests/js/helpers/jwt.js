// HS256 tokens for the tests and the load benchmark, minted with Node's own
// crypto: an implementation independent of the C verifier they exercise.
import { createHmac } from 'node:crypto';

const b64 = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

/** A compact JWS over claims; header and secret can be bent by tests. */
export function hs256(claims, secret, header = { alg: 'HS256', typ: 'JWT' }) {
  const body = `${b64(header)}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** The claims a hub needs for identity: userId, publicKey, exp (+ extra). */
export function claimsFor(identity, extra = {}, ttlSeconds = 300) {
  return {
    userId: 'user-1',
    publicKey: Buffer.from(identity.publicKey).toString('base64url'),
    exp: Math.floor(Date.now() / 1000) + ttlSeconds,
    ...extra,
  };
}

export { b64 };
