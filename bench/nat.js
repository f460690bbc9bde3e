// nat.js — `npm run bench`: connect times behind NATs, in the network
// namespaces of tests/js/nat.test.js (hub behind nginx on wss://, coturn,
// two peers each behind its own NAT, every server from docs/deploy/).
// For each case, 20 connects (a new peer each, join to peer:connect) and
// the p50 / p95, with the path both sides settled on. Needs root; prints
// why not otherwise.
import { startLab, stopLab, meet, setNat, unavailable } from '../tests/js/helpers/nat-lab.js';
import { fmt } from './report.js';

const ROUNDS = Number(process.argv[2] ?? 20);
const DIRECT_TIMEOUT_MS = 3000; // the udp-blocked case waits this long before the relay (default 10000)
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

const why = unavailable();
if (why) {
  console.log(`\nNAT traversal connect times: skipped (${why})`);
  process.exit(0);
}

const cases = [
  { name: 'full-cone NATs', nat: ['cone', 'cone'] },
  { name: "iceTransportPolicy 'relay'", nat: ['cone', 'cone'], policy: 'relay' },
  { name: 'symmetric vs port-restricted', nat: ['restricted', 'symmetric'] },
  { name: 'UDP blocked on one side', nat: ['udp-blocked', 'cone'] },
];

const lab = await startLab();
const rows = [];
try {
  for (const c of cases) {
    setNat('a', c.nat[0]);
    setNat('b', c.nat[1]);
    const { a, b } = await meet(lab, { rounds: ROUNDS, policyA: c.policy ?? 'all', policyB: c.policy ?? 'all', directTimeoutMs: DIRECT_TIMEOUT_MS, settleMs: 0 });
    const all = [...a.rounds, ...b.rounds];
    const failed = all.filter((r) => r.error);
    const ms = all.filter((r) => !r.error).map((r) => r.connectMs);
    const paths = {};
    for (const r of all) if (!r.error) paths[r.path] = (paths[r.path] ?? 0) + 1;
    for (const f of failed) console.log(`${c.name}: round ${f.round} failed: ${f.error}`);
    rows.push({
      case: c.name, connects: ms.length / 2, 'p50 ms': fmt(quantile(ms, 0.5), 0), 'p95 ms': fmt(quantile(ms, 0.95), 0),
      'path at connect (both sides)': Object.entries(paths).map(([p, n]) => `${p} ${n}`).join(', '), failed: failed.length,
    });
  }
} finally {
  stopLab(lab);
}
console.log(`\nNAT traversal in network namespaces: join -> peer:connect, ${ROUNDS} connects a case (wss:// through nginx, TURN on coturn; the UDP-blocked case falls back after directTimeoutMs = ${DIRECT_TIMEOUT_MS})`);
console.table(rows);
