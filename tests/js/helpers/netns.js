// netns.js — a small internet on this machine, for the NAT tests: a
// "public" namespace (the hub, nginx, coturn at 203.0.113.1) and two
// homes, each a NAT router namespace with one peer namespace behind it.
//
//   peer A 10.0.1.2 ── 10.0.1.1 [NAT A] 198.51.100.2 ──┐
//                                                      ├─ 198.51.100.1/.5 [public] lo 203.0.113.1
//   peer B 10.0.2.2 ── 10.0.2.1 [NAT B] 198.51.100.6 ──┘
//
// The public namespace routes between the two NATs' outside addresses and
// knows nothing of the homes' private networks. Each NAT masquerades what
// leaves through its outside link and lets in only replies (conntrack);
// setNat() picks how it maps and what it lets out. Needs root, iproute2
// and iptables; unavailable() says why it cannot run here.
import { execFileSync } from 'node:child_process';

const tag = `sl${process.pid % 100000}`;
export const NS = { pub: `${tag}-pub`, natA: `${tag}-nata`, natB: `${tag}-natb`, a: `${tag}-a`, b: `${tag}-b` };
export const PUBLIC_IP = '203.0.113.1';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
export const inNs = (ns, cmd, ...args) => run('ip', ['netns', 'exec', ns, cmd, ...args]);
const ip = (...args) => run('ip', args);

/** Why the topology cannot be built here, or null when it can. */
export function unavailable() {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, iptables)';
  const probe = `${tag}-probe`;
  try {
    ip('netns', 'add', probe);
  } catch (err) {
    return `ip netns add failed: ${String(err.stderr || err.message).trim()}`;
  }
  try {
    inNs(probe, 'iptables', '-t', 'nat', '-L', '-n');
    return null;
  } catch (err) {
    return `iptables in a namespace failed: ${String(err.stderr || err.message).trim()}`;
  } finally {
    try { ip('netns', 'del', probe); } catch { /* gone */ }
  }
}

function link(nsA, ifA, addrA, nsB, ifB, addrB) {
  ip('link', 'add', `${tag}t`, 'type', 'veth', 'peer', 'name', `${tag}u`);
  ip('link', 'set', `${tag}t`, 'netns', nsA);
  ip('link', 'set', `${tag}u`, 'netns', nsB);
  inNs(nsA, 'ip', 'link', 'set', `${tag}t`, 'name', ifA);
  inNs(nsB, 'ip', 'link', 'set', `${tag}u`, 'name', ifB);
  inNs(nsA, 'ip', 'addr', 'add', addrA, 'dev', ifA);
  inNs(nsB, 'ip', 'addr', 'add', addrB, 'dev', ifB);
  inNs(nsA, 'ip', 'link', 'set', ifA, 'up');
  inNs(nsB, 'ip', 'link', 'set', ifB, 'up');
}

/** Builds the namespaces, links, addresses and routes (NATs start 'cone'). */
export function build() {
  teardown();
  for (const ns of Object.values(NS)) {
    ip('netns', 'add', ns);
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  }
  inNs(NS.pub, 'ip', 'addr', 'add', `${PUBLIC_IP}/32`, 'dev', 'lo');
  link(NS.pub, 'toa', '198.51.100.1/30', NS.natA, 'wan', '198.51.100.2/30');
  link(NS.pub, 'tob', '198.51.100.5/30', NS.natB, 'wan', '198.51.100.6/30');
  link(NS.natA, 'lan', '10.0.1.1/24', NS.a, 'eth0', '10.0.1.2/24');
  link(NS.natB, 'lan', '10.0.2.1/24', NS.b, 'eth0', '10.0.2.2/24');
  inNs(NS.natA, 'ip', 'route', 'add', 'default', 'via', '198.51.100.1');
  inNs(NS.natB, 'ip', 'route', 'add', 'default', 'via', '198.51.100.5');
  inNs(NS.a, 'ip', 'route', 'add', 'default', 'via', '10.0.1.1');
  inNs(NS.b, 'ip', 'route', 'add', 'default', 'via', '10.0.2.1');
  for (const ns of [NS.pub, NS.natA, NS.natB]) inNs(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  setNat('a', 'cone');
  setNat('b', 'cone');
}

/**
 * How a home's NAT behaves:
 *   'cone'        full cone: endpoint-independent mapping (masquerading
 *                 keeps the source port) and endpoint-independent
 *                 filtering (UDP to the outside address goes to the peer,
 *                 from anyone), so the address STUN saw is the one every
 *                 peer can reach;
 *   'restricted'  port-restricted cone: the same mapping, but only replies
 *                 let in (from where a packet went out);
 *   'symmetric'   a random port for every new destination (--random-fully),
 *                 and only replies let in: what STUN saw is useless to
 *                 the other peer;
 *   'udp-blocked' no UDP leaves the home at all; TCP as 'restricted'.
 * (Plain masquerading is neither: Linux conntrack moves a mapping to
 * another port when a packet from the other peer arrived first, which
 * breaks hole punching half the time.)
 */
export function setNat(side, mode) {
  const ns = side === 'a' ? NS.natA : NS.natB;
  const host = side === 'a' ? '10.0.1.2' : '10.0.2.2';
  inNs(ns, 'iptables', '-t', 'nat', '-F');
  inNs(ns, 'iptables', '-F');
  try { inNs(ns, 'conntrack', '-F'); } catch { /* nothing tracked yet */ }
  const masq = ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE'];
  inNs(ns, 'iptables', ...(mode === 'symmetric' ? [...masq, '--random-fully'] : masq));
  if (mode === 'cone') {
    inNs(ns, 'iptables', '-t', 'nat', '-A', 'PREROUTING', '-i', 'wan', '-p', 'udp', '-j', 'DNAT', '--to-destination', host);
    inNs(ns, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-p', 'udp', '-d', host, '-j', 'ACCEPT');
  }
  inNs(ns, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
  inNs(ns, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-j', 'DROP');
  if (mode === 'udp-blocked') inNs(ns, 'iptables', '-I', 'FORWARD', '-p', 'udp', '-j', 'DROP');
}

/** Removes every namespace this process made (their links go with them). */
export function teardown() {
  for (const ns of Object.values(NS)) {
    try { ip('netns', 'del', ns); } catch { /* not there */ }
  }
}
