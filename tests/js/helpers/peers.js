// A real hub for one test file and the peers a test makes on it, with
// tokens minted for each identity; everything is closed after the file.
import { before, after } from 'node:test';
import { init, Identity, createPeer } from '../../../js-glue/index.js';
import { startHub } from '../../../js-glue/hub.js';
import { hs256, claimsFor } from './jwt.js';

/** fx.hub (replaceable: a test may kill and restart it), fx.makePeer(opts). */
export function peerFixture(secret, defaults = {}) {
  const fx = { hub: null, created: [] };
  before(async () => {
    await init();
    fx.hub = await startHub({ jwtSecret: secret });
  });
  after(async () => {
    await Promise.all(fx.created.map((p) => p.close()));
    await fx.hub?.close();
  });
  fx.makePeer = async (opts = {}) => {
    const identity = Identity.generate();
    const p = await createPeer({ hubUrl: fx.hub.url, token: hs256(claimsFor(identity), secret), identity, ...defaults, ...opts });
    fx.created.push(p);
    return p;
  };
  return fx;
}
