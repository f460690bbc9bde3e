// Starts the PeerJS server (`peer` package) for the load benchmark.
// Prints {port}.
import { PeerServer } from 'peer';

const server = PeerServer({ port: 0, host: '127.0.0.1', path: '/', concurrent_limit: 50000 }, (s) => {
  console.log(JSON.stringify({ port: s.address().port }));
});
void server;
process.on('SIGTERM', () => process.exit(0)); // exit cleanly (lets --cpu-prof write its profile)
