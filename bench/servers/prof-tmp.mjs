import { startHub } from '/work/main/js-glue/hub.js';
const hub = await startHub({ port: 0, jwtSecret: process.argv[2], maxConnections: 50000, messageRate: 1e6, messageBurst: 1e6, connectRate: 1e6, connectBurst: 1e6, authRate: 1e6, authBurst: 1e6 });
console.log(JSON.stringify({ port: hub.port }));
setTimeout(() => process.exit(0), 25000);
process.on('SIGTERM', () => process.exit(0));
