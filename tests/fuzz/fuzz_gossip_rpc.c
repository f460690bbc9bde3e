/* fuzz_gossip_rpc.c — libFuzzer target: the pubsub RPC decoder on any
 * bytes. It must return a code or a view whose every slice lies inside
 * the input, whose counts respect the limits, and whose messages
 * re-encode (without signature) to no more than they took; never crash,
 * read out of bounds or leak. */
#include "gossip/gossip.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *base, size_t size, sl__bytes b) {
  if (b.len && (b.p < base || b.p + b.len > base + size)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sl__rpc r;
  int rc = sl__rpc_decode(data, size, NULL, &r);
  if (rc != 0) {
    if (rc != SL_EGOSSIP_RPC && rc != SL_EGOSSIP_TOPIC && rc != SL_EGOSSIP_LIMIT) abort();
    return 0;
  }
  const sl__rpc_limits *lim = &sl__rpc_default_limits;
  if (r.n_subs > lim->max_subscriptions || r.n_msgs > lim->max_messages) abort();
  if (r.n_iwant + r.n_idontwant > lim->max_ids) abort();
  for (size_t i = 0; i < r.n_subs; i++) {
    inside(data, size, r.subs[i].topic);
    if (!r.subs[i].topic.len || r.subs[i].topic.len > SL_GOSSIP_MAX_TOPIC) abort();
  }
  for (size_t i = 0; i < r.n_msgs; i++) {
    const sl__rpc_msg *m = &r.msgs[i];
    inside(data, size, m->raw);
    inside(data, size, m->from);
    inside(data, size, m->data);
    inside(data, size, m->topic);
    if (!(m->has & SL__HAS_TOPIC)) abort();
    if (sl__rpc_message_len(m, true) > m->raw.len) abort(); /* canonical is never longer */
  }
  for (size_t i = 0; i < r.n_ihave; i++) {
    inside(data, size, r.ihave[i].topic);
    for (size_t k = 0; k < r.ihave[i].count; k++) {
      const sl__bytes *id = &r.ihave_ids[r.ihave[i].first + k];
      inside(data, size, *id);
      if (!id->len || id->len > SL_GOSSIP_MAX_ID) abort();
    }
  }
  for (size_t i = 0; i < r.n_iwant; i++)
    inside(data, size, r.iwant_ids[i]);
  for (size_t i = 0; i < r.n_idontwant; i++)
    inside(data, size, r.idontwant_ids[i]);
  for (size_t i = 0; i < r.n_graft; i++)
    inside(data, size, r.graft[i]);
  for (size_t i = 0; i < r.n_prune; i++) {
    inside(data, size, r.prune[i].topic);
    for (size_t k = 0; k < r.prune[i].n_px; k++) {
      inside(data, size, r.px[r.prune[i].first_px + k].peer);
      inside(data, size, r.px[r.prune[i].first_px + k].record);
    }
  }
  sl__rpc_free(&r);
  return 0;
}
