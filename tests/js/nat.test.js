// NAT traversal, proven in network namespaces (tests/js/helpers/netns.js):
// two peers, each a Node process behind its own NAT, a hub behind nginx
// (wss://) and coturn in a "public" namespace, every server started from
// the file docs/deploy.md shows. Each case checks the path both sides
// report and that messages cross:
//   full-cone NATs          -> direct, on STUN-learned candidates
//   iceTransportPolicy relay -> through coturn (TURN)
//   one symmetric NAT        -> TURN
//   UDP blocked              -> the hub's relay over WSS
// Needs root (ip netns, iptables); skips, saying why, where it cannot run.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startLab, stopLab, meet, httpsStatus, setNat, unavailable, NS } from './helpers/nat-lab.js';

const why = unavailable();
if (why) console.log(`# nat.test.js skipped: ${why}`);

describe('NAT traversal in network namespaces', { skip: why ?? false }, () => {
  let lab;
  before(async () => { lab = await startLab(); });
  after(() => { if (lab) stopLab(lab); });

  /** Both sides' rounds: every one completed, messages crossed, and check(round) holds. */
  function expectRounds({ a, b }, check) {
    for (const [side, other, run] of [['A', 'B', a], ['B', 'A', b]]) {
      assert.equal(run.code, 0, `${side} failed: ${JSON.stringify(run.rounds.at(-1))}\n${run.stderr}`);
      assert.ok(run.rounds.length > 0);
      for (const r of run.rounds) {
        assert.equal(r.received, `${other} ${r.round}`, `${side} round ${r.round} heard the other side`);
        check(r, side);
      }
    }
  }

  test('nginx: wss:// reaches the hub from behind a NAT; /health is public, /metrics is not', async () => {
    assert.equal(await httpsStatus(lab, NS.a, '/health'), '200');
    assert.equal(await httpsStatus(lab, NS.a, '/metrics'), '403');
    assert.equal(await httpsStatus(lab, NS.a, '/dev/token'), '404');
  });

  test('full-cone NATs: a direct data channel on STUN-learned addresses', async () => {
    setNat('a', 'cone');
    setNat('b', 'cone');
    expectRounds(await meet(lab, { rounds: 2 }), (r, side) => {
      // ICE may open on a TURN pair and move: what counts is where it settles.
      assert.equal(r.pathAtEnd, 'direct', `${side} round ${r.round}: ${JSON.stringify(r)}`);
      assert.ok(['srflx', 'prflx'].includes(r.candidatesAtEnd.local), `${side}: its own NAT'd address, not ${r.candidatesAtEnd.local}`);
      assert.ok(['srflx', 'prflx'].includes(r.candidatesAtEnd.remote), `${side}: the other's NAT'd address, not ${r.candidatesAtEnd.remote}`);
      assert.ok(r.iceServers.some((urls) => urls.some((u) => u.startsWith('turn:'))), 'the hub handed out TURN credentials');
    });
  });

  test("iceTransportPolicy 'relay': through coturn, and the metrics say turn", async () => {
    setNat('a', 'cone');
    setNat('b', 'cone');
    expectRounds(await meet(lab, { rounds: 2, policyA: 'relay', policyB: 'relay' }), (r, side) => {
      assert.equal(r.path, 'turn', `${side} round ${r.round}: ${JSON.stringify(r)}`);
      assert.equal(r.pathAtEnd, 'turn');
      assert.equal(r.candidates.local, 'relay');
      assert.deepEqual(r.metrics, { direct: 0, turn: 1, relay: 0 });
    });
  });

  test('a symmetric NAT against a port-restricted one: TURN', async () => {
    setNat('a', 'restricted');
    setNat('b', 'symmetric');
    expectRounds(await meet(lab, { rounds: 2 }), (r, side) => {
      assert.equal(r.path, 'turn', `${side} round ${r.round}: ${JSON.stringify(r)}`);
      assert.equal(r.pathAtEnd, 'turn');
      assert.ok(r.candidatesAtEnd.local === 'relay' || r.candidatesAtEnd.remote === 'relay');
    });
  });

  test("UDP blocked: the session falls back to the hub's relay over WSS", async () => {
    setNat('a', 'udp-blocked');
    setNat('b', 'cone');
    expectRounds(await meet(lab, { rounds: 2, directTimeoutMs: 3000 }), (r, side) => {
      assert.equal(r.path, 'relay', `${side} round ${r.round}: ${JSON.stringify(r)}`);
      assert.equal(r.pathAtEnd, 'relay');
      assert.equal(r.candidates, null);
    });
  });

  test('the hub counted the TURN credentials it handed out', () => {
    const out = spawnSync('ip', ['netns', 'exec', NS.pub, process.execPath, '-e',
      "fetch('http://127.0.0.1:9090/metrics').then(r => r.text()).then(t => console.log(t))"], { encoding: 'utf8' }).stdout;
    const issued = Number(/^starling_hub_turn_credentials_total (\d+)$/m.exec(out)?.[1]);
    assert.ok(issued >= 16, `two credentials a round at least: ${issued}`);
  });
});
