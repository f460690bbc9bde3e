#!/usr/bin/env bash
# Benchmarks: builds the native reference (Release) and runs bench/run.js.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ ! -f build/bench/CMakeCache.txt ]; then
  cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DSL_BENCH=ON -DSL_TESTS=OFF >build/bench.configure.log 2>&1 \
    || { cat build/bench.configure.log; exit 1; }
fi
cmake --build build/bench -j"$(nproc)" >build/bench.log 2>&1 || { tail -30 build/bench.log; exit 1; }
node --max-old-space-size=4096 bench/run.js
# Peers over loopback WebRTC and the hub relay vs the bare data channel.
node bench/connectivity.js
# The same figures in Chromium: two pages, encrypted vs bare RTCDataChannel.
node bench/chromium.js
# Connect times behind NATs in network namespaces (root; skips saying why).
node bench/nat.js "${NAT_ROUNDS:-20}"
# Trades (issue #11): PSBT parse + check vs @scure/btc-signer, a whole trade's wall time.
node bench/trades.js
# Hub under load vs the PeerJS server (separate processes on loopback).
node bench/hub-load.js "${HUB_CLIENTS:-2000}" "${HUB_MESSAGES:-100}"
# Hubs on Redis: one hub vs three instances, pairs split across them or not.
node bench/hub-cluster.js "${CLUSTER_CLIENTS:-1500}" "${CLUSTER_MESSAGES:-40}"
# The hub under each attack of issue #12 beside two honest clients.
node bench/hub-abuse.js "${ABUSE_SECONDS:-5}"
# Gossip: Starling's router (wasm) vs js-libp2p's GossipSub, same process,
# topology and load; then the heartbeat at 50 peers and 10 topics.
node bench/gossip.js
# The gossip simulator (docs/simulator.md): 1,000 peers, 10 % churn a
# minute, 1 % RPC loss; goals: delivery >= 99.9 %, p99 <= 6 hops. Then the
# same network with every link at 50 ms, where the first copy's path is the
# shortest one.
echo "gossip simulator — goals: delivery >= 99.9 %, hops p99 <= 6"
build/bench/bench/sim/gossip_sim --peers 1000 --seconds 60
build/bench/bench/sim/gossip_sim --peers 1000 --seconds 20 --latency 50,50
