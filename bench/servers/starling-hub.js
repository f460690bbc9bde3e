// Starts a Starling hub for the load benchmarks with limits raised so the
// generator measures throughput, not the rate limiter. Prints {port}.
// argv: JWT secret, then optionally a Redis URL (one instance of several).
import { startHub } from '../../js-glue/hub.js';

const hub = await startHub({
  jwtSecret: process.argv[2], maxConnections: 50000, messageRate: 1e6, messageBurst: 1e6,
  connectRate: 1e6, connectBurst: 1e6, authRate: 1e6, authBurst: 1e6, maxSocketsPerAddress: 1e6,
  joinRate: 1e6, joinBurst: 1e6, redis: process.argv[3],
});
console.log(JSON.stringify({ port: hub.port }));
process.on('SIGTERM', () => process.exit(0)); // exit cleanly (lets --cpu-prof write its profile)
