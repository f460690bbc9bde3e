// build-demo.js — bundles the demo's wallets (web/wallet-src.js, on
// @scure/btc-signer and viem) into build/demo/wallet.js, which the demo
// server serves at /vendor/wallet.js. Only the demo page loads it; the
// package ships nothing of it.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await esbuild.build({
  entryPoints: [`${root}/web/wallet-src.js`], bundle: true, minify: true, format: 'esm', platform: 'browser',
  outfile: `${root}/build/demo/wallet.js`, logLevel: 'error',
});
