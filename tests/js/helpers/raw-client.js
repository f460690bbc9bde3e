// raw-client.js — a WebSocket client speaking the hub protocol by hand, with
// an awaitable inbox: for tests that need to say what a real peer never would.
import assert from 'node:assert/strict';
import WebSocket from 'ws';

/** Connects to url; resolves once the socket is open. */
export async function connect(url) {
  const ws = new WebSocket(url);
  const inbox = [];
  const waiters = [];
  let closed = null;
  ws.on('message', (data, isBinary) => {
    const msg = isBinary ? { binary: new Uint8Array(data) } : JSON.parse(data.toString());
    inbox.push(msg);
    waiters.splice(0).forEach((w) => w());
  });
  ws.on('close', (code) => { closed = code; waiters.splice(0).forEach((w) => w()); });
  await new Promise((ok, bad) => { ws.once('open', ok); ws.once('error', bad); });
  const client = {
    ws,
    get closed() { return closed; },
    send: (o) => ws.send(typeof o === 'string' || o instanceof Uint8Array ? o : JSON.stringify(o)),
    /** Resolves with the first message matching pred (consumed), or rejects after ms. */
    async next(pred = () => true, ms = 3000) {
      const end = Date.now() + ms;
      for (;;) {
        const i = inbox.findIndex(pred);
        if (i >= 0) return inbox.splice(i, 1)[0];
        if (Date.now() > end) throw new Error(`no matching message; inbox: ${JSON.stringify(inbox).slice(0, 500)}`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 50); });
      }
    },
    async error(code) {
      const m = await client.next((x) => x.type === 'error');
      assert.equal(m.payload.code, code, JSON.stringify(m));
      return m;
    },
    async closedWith() {
      for (let i = 0; i < 60 && closed === null; i++) await new Promise((r) => setTimeout(r, 50));
      return closed;
    },
  };
  return client;
}

/** Connects and authenticates as id with token (answering the challenge). */
export async function login(url, id, token, userId = 'user-1') {
  const c = await connect(url);
  c.send({ type: 'auth', payload: { token } });
  const { payload } = await c.next((m) => m.type === 'challenge');
  const nonce = Buffer.from(payload.nonce, 'base64url');
  const signature = id.sign(Buffer.concat([Buffer.from('starling-hub-challenge:'), nonce]));
  c.send({ type: 'auth-proof', payload: { signature: Buffer.from(signature).toString('base64url') } });
  const ok = await c.next((m) => m.type === 'authenticated');
  assert.equal(ok.payload.peerId, id.peerId);
  assert.equal(ok.payload.userId, userId);
  return Object.assign(c, { id });
}

