// polyfill.js — js-libp2p 3 calls Promise.withResolvers (Node 22); the
// project runs on Node 20. Imported first by the benchmarks that load it.
Promise.withResolvers ??= function withResolvers() {
  let resolve;
  let reject;
  const promise = new this((a, b) => { resolve = a; reject = b; });
  return { promise, resolve, reject };
};
