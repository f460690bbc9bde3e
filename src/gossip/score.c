/* score.c — GossipSub v1.1 peer scoring:
 *
 *   score = sum over topics of topic_weight * (w1 P1 + w2 P2 + w3 P3 + w3b P3b + w4 P4),
 *           the sum capped at topic_score_cap (when > 0),
 *         + w5 P5 + w7 max(0, P7 - threshold)^2
 *
 * P1 time in mesh (quanta, capped), P2 first deliveries (capped), P3 the
 * square of the mesh delivery deficit once active, P3b the mesh failure
 * penalty (squared deficits when a peer left the mesh short), P4 the square
 * of invalid deliveries, P5 the application's score, P7 behaviour
 * penalties (broken promises, GRAFT in backoff, spam). P6 (IP colocation)
 * does not apply: peers reach us over WebRTC and relays, not by address.
 * Counters decay once a heartbeat and are kept while a peer is away
 * (retain_score_ms), so reconnecting does not wash a bad score. */
#include "gossip.h"

#include <stdlib.h>
#include <string.h>

const sl_gossip_topic_params *sl__topic_params(const sl_gossip *g, uint32_t topic) {
  const sl__topic *t = &g->topics[topic];
  return t->has_params ? &t->params : &g->p.topic;
}

sl__topic_stats *sl__stats_get(sl_gossip *g, sl__peer *p, uint32_t topic, bool create) {
  for (size_t i = 0; i < p->n_stats; i++)
    if (p->stats[i].topic == topic) return &p->stats[i];
  if (!create) return NULL;
  if (p->n_stats == p->cap_stats) {
    size_t cap = p->cap_stats ? p->cap_stats * 2 : 4;
    sl__topic_stats *s = realloc(p->stats, cap * sizeof *s);
    if (!s) {
      g->failed = SL_ENOMEM;
      return NULL;
    }
    p->stats = s;
    p->cap_stats = cap;
  }
  sl__topic_stats *s = &p->stats[p->n_stats++];
  memset(s, 0, sizeof *s);
  s->topic = topic;
  return s;
}

static double topic_score(const sl_gossip *g, const sl__topic_stats *s) {
  const sl_gossip_topic_params *tp = sl__topic_params(g, s->topic);
  double sc = 0;
  if (s->in_mesh && tp->time_in_mesh_quantum_ms > 0) {
    double p1 = (double)(g->now_ms - s->graft_ms) / tp->time_in_mesh_quantum_ms;
    if (p1 > tp->time_in_mesh_cap) p1 = tp->time_in_mesh_cap;
    sc += tp->time_in_mesh_weight * p1;
  }
  sc += tp->first_deliveries_weight * s->first_deliveries;
  if (s->mesh_active && s->mesh_deliveries < tp->mesh_deliveries_threshold) {
    double deficit = tp->mesh_deliveries_threshold - s->mesh_deliveries;
    sc += tp->mesh_deliveries_weight * deficit * deficit;
  }
  sc += tp->mesh_failure_weight * s->mesh_failure;
  sc += tp->invalid_deliveries_weight * s->invalid * s->invalid;
  return tp->topic_weight * sc;
}

double sl__score(const sl_gossip *g, const sl__peer *p) {
  double topics = 0;
  for (size_t i = 0; i < p->n_stats; i++)
    topics += topic_score(g, &p->stats[i]);
  if (g->p.topic_score_cap > 0 && topics > g->p.topic_score_cap) topics = g->p.topic_score_cap;
  double sc = topics + g->p.app_specific_weight * p->app_score;
  double excess = p->behaviour_penalty - g->p.behaviour_penalty_threshold;
  if (excess > 0) sc += g->p.behaviour_penalty_weight * excess * excess;
  return sc;
}

static double decay(double v, double factor) {
  v *= factor;
  return v < 0.01 && v > -0.01 ? 0 : v;
}

void sl__score_decay(sl_gossip *g) {
  for (size_t i = 0; i < g->n_peers; i++) {
    sl__peer *p = &g->peers[i];
    if (!p->used) continue;
    for (size_t j = 0; j < p->n_stats; j++) {
      sl__topic_stats *s = &p->stats[j];
      const sl_gossip_topic_params *tp = sl__topic_params(g, s->topic);
      s->first_deliveries = decay(s->first_deliveries, tp->first_deliveries_decay);
      s->mesh_deliveries = decay(s->mesh_deliveries, tp->mesh_deliveries_decay);
      s->mesh_failure = decay(s->mesh_failure, tp->mesh_failure_decay);
      s->invalid = decay(s->invalid, tp->invalid_deliveries_decay);
      if (s->in_mesh && !s->mesh_active &&
          (double)(g->now_ms - s->graft_ms) >= tp->mesh_deliveries_activation_ms)
        s->mesh_active = true;
    }
    p->behaviour_penalty = decay(p->behaviour_penalty, g->p.behaviour_penalty_decay);
  }
}
