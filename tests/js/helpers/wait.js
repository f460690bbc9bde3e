// Waiting helpers for the peer tests: a stall fails with a description of
// the state instead of hanging until the runner's timeout.

/** Resolves like `promise`, or rejects with describe() after `ms`. */
export async function within(ms, promise, describe) {
  let timer;
  const timeout = new Promise((_, bad) => { timer = setTimeout(() => bad(new Error(describe())), ms); });
  try { return await Promise.race([promise, timeout]); } finally { clearTimeout(timer); }
}

/** Resolves once pred() holds (polled every 10 ms). */
export async function until(pred) {
  while (!pred()) await new Promise((ok) => setTimeout(ok, 10));
}

/** The detail of the first `type` event on target for which pred holds. */
export const once = (target, type, pred = () => true) => new Promise((ok) => {
  const fn = (e) => { if (pred(e.detail)) { target.removeEventListener(type, fn); ok(e.detail); } };
  target.addEventListener(type, fn);
});
