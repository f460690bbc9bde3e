// A WebSocket proxy between peers and a hub that records every message it
// forwards, so tests can inspect exactly the bytes the hub relays.
import { WebSocketServer, WebSocket } from 'ws';

/** Starts a proxy to `target` (a ws:// URL). Resolves to { url, frames, close() }. */
export async function startTap(target) {
  const frames = []; // { direction: 'up'|'down', binary, data: Buffer }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((ok) => wss.once('listening', ok));
  wss.on('connection', (client) => {
    const upstream = new WebSocket(target);
    const early = [];
    const forward = (from, to, direction) => from.on('message', (data, binary) => {
      frames.push({ direction, binary, data: Buffer.from(data) });
      if (to.readyState === WebSocket.OPEN) to.send(data, { binary });
      else early.push([data, binary]);
    });
    forward(client, upstream, 'up');
    forward(upstream, client, 'down');
    upstream.on('open', () => { for (const [data, binary] of early.splice(0)) upstream.send(data, { binary }); });
    const end = () => { client.terminate(); upstream.terminate(); };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}`,
    frames,
    close: () => new Promise((ok) => { for (const c of wss.clients) c.terminate(); wss.close(() => ok()); }),
  };
}
