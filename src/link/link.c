/* link.c — the per-peer connection state machine: which path (a direct
 * WebRTC data channel or the hub's relay) carries the session, when a
 * direct attempt starts or is retried, when traffic falls back to the
 * relay and when it moves back. Pure policy: the host reports path events
 * and performs the actions queued here (start an attempt, ask for a relay,
 * close or activate a path, arm a timer), so it runs natively under the
 * sanitizers and the fuzzer. Delivery (sequence numbers, ACKs, resend)
 * stays with the host, on the hot path. See docs/protocol.md §3.4. */
#include "internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define QUICK_RETRY_MS 250   /* a broken (not timed out) attempt is retried at once... */
#define QUICK_RETRIES 2      /* ...this many times before falling back */
#define RELAY_RETRY_MS 1000  /* a failed relay path is asked for again after this */
#define RELAY_LINGER_MS 5000 /* after moving to direct, the relay still receives this long */

enum path_state { NONE, CONNECTING, READY };

/* js-glue/link-state.js reads sl_link_action at these offsets (ACTION_BYTES). */
_Static_assert(offsetof(sl_link_action, kind) == 0 && offsetof(sl_link_action, arg) == 4 &&
                   offsetof(sl_link_action, ms) == 8 && sizeof(sl_link_action) == 16,
               "js-glue/link-state.js reads sl_link_action at these offsets");

struct sl_link {
  bool offerer, closed, hub_open;
  double direct_retry_ms;
  uint32_t attempt; /* the current direct attempt; the offerer counts, the answerer follows */
  int quick_retries;
  int state[3];        /* by enum sl_link_path (index 0 unused) */
  int active;          /* SL_LINK_PATH_* or 0 */
  int fallback_reason; /* why the last direct attempt failed; 0 until one did */
  uint32_t relay_gen;  /* counts relay paths, so a linger timer never drops a newer one */
  uint32_t linger_gen;
  bool failed; /* an action could not be queued: the host and the machine disagree */
  sl_link_action *queue;
  size_t head, count, cap;
};

/* A lost action would leave the host's paths and the machine out of step,
 * so running out of memory is latched and reported by sl_link_next. */
static void emit(sl_link *l, int kind, int arg, double ms) {
  if (sl__fifo_reserve((void **)&l->queue, sizeof *l->queue, &l->head, l->count, &l->cap, 8) != 0) {
    l->failed = true;
    return;
  }
  l->queue[l->head + l->count++] = (sl_link_action){kind, arg, ms};
}

int sl_link_new(sl_link **out, int offerer, double direct_retry_ms) {
  if (!out || !(direct_retry_ms >= 0)) return SL_EINVAL;
  sl_link *l = calloc(1, sizeof *l);
  if (!l) return SL_ENOMEM;
  l->offerer = offerer != 0;
  l->direct_retry_ms = direct_retry_ms;
  *out = l;
  return 0;
}

void sl_link_free(sl_link *l) {
  if (!l) return;
  free(l->queue);
  free(l);
}

int sl_link_next(sl_link *l, sl_link_action *out) {
  if (l && l->failed) return SL_ENOMEM;
  if (!l || !out || !l->count) return 0;
  *out = l->queue[l->head++];
  if (!--l->count) l->head = 0;
  return 1;
}

void sl_link_set_hub(sl_link *l, int open) {
  if (l) l->hub_open = open != 0;
}

int sl_link_active(const sl_link *l) { return l ? l->active : 0; }
uint32_t sl_link_attempt(const sl_link *l) { return l ? l->attempt : 0; }
int sl_link_fallback_reason(const sl_link *l) { return l ? l->fallback_reason : 0; }

static bool valid_path(int path) {
  return path == SL_LINK_PATH_DIRECT || path == SL_LINK_PATH_RELAY;
}
static int other(int path) {
  return path == SL_LINK_PATH_DIRECT ? SL_LINK_PATH_RELAY : SL_LINK_PATH_DIRECT;
}

static void activate(sl_link *l, int path) {
  if (l->active == path) return;
  l->active = path;
  emit(l, SL_LINK_ACTIVATE, path, 0);
}

/* Forgets a path; if it carried data, the other one takes over when ready. */
static void detach(sl_link *l, int path) {
  l->state[path] = NONE;
  if (l->active != path) return;
  l->active = 0;
  emit(l, SL_LINK_DEACTIVATE, path, 0);
  if (!l->closed && l->state[other(path)] == READY) activate(l, other(path));
}

/* Closes a path the link no longer wants, without retry logic. */
static void drop(sl_link *l, int path) {
  if (l->state[path] == NONE) return;
  emit(l, SL_LINK_CLOSE_PATH, path, 0);
  detach(l, path);
}

static void start_direct(sl_link *l) {
  if (l->closed || !l->offerer || l->state[SL_LINK_PATH_DIRECT] != NONE || !l->hub_open) return;
  emit(l, SL_LINK_SET_TIMER, SL_LINK_TIMER_DIRECT_RETRY,
       -1); /* an attempt is under way: no retry pending */
  l->attempt++;
  l->state[SL_LINK_PATH_DIRECT] = CONNECTING;
  emit(l, SL_LINK_START_DIRECT, (int)l->attempt, 0);
}

static void request_relay(sl_link *l) {
  emit(l, SL_LINK_SET_TIMER, SL_LINK_TIMER_RELAY_RETRY, -1);
  if (l->closed || !l->offerer || l->state[SL_LINK_PATH_RELAY] != NONE) return;
  if (!l->hub_open) {
    /* No way to ask now: ask again later, unless a direct path carries
     * the session (the other end's return to the hub is not the only
     * thing that can bring us back here). */
    if (l->active != SL_LINK_PATH_DIRECT)
      emit(l, SL_LINK_SET_TIMER, SL_LINK_TIMER_RELAY_RETRY, RELAY_RETRY_MS);
    return;
  }
  emit(l, SL_LINK_REQUEST_RELAY, 0, 0);
}

void sl_link_start(sl_link *l) {
  if (l) start_direct(l);
}

void sl_link_present(sl_link *l) {
  if (!l || l->closed || l->active || !l->offerer) return;
  start_direct(l);
  if (l->fallback_reason) request_relay(l);
}

int sl_link_offer(sl_link *l, uint32_t attempt) {
  if (!l || l->closed || l->offerer) return 0;
  if (l->state[SL_LINK_PATH_DIRECT] != NONE && attempt <= l->attempt) return 0;
  drop(l, SL_LINK_PATH_DIRECT);
  l->attempt = attempt;
  l->state[SL_LINK_PATH_DIRECT] = CONNECTING;
  emit(l, SL_LINK_START_DIRECT, (int)attempt, 0);
  return 1;
}

void sl_link_relay_ready(sl_link *l) {
  if (!l || l->closed) return;
  drop(l, SL_LINK_PATH_RELAY);
  l->relay_gen++;
  l->state[SL_LINK_PATH_RELAY] = CONNECTING;
  emit(l, SL_LINK_START_RELAY, 0, 0);
}

void sl_link_path_ready(sl_link *l, int path) {
  if (!l || l->closed || !valid_path(path) || l->state[path] != CONNECTING) return;
  l->state[path] = READY;
  if (path == SL_LINK_PATH_DIRECT) {
    l->quick_retries = 0;
    activate(l, path);
    if (l->state[SL_LINK_PATH_RELAY] != NONE) { /* the other end may not have moved yet */
      l->linger_gen = l->relay_gen;
      emit(l, SL_LINK_SET_TIMER, SL_LINK_TIMER_RELAY_LINGER, RELAY_LINGER_MS);
    }
  } else if (l->state[SL_LINK_PATH_DIRECT] != READY) {
    activate(l, path);
    emit(l, SL_LINK_FALLBACK, l->fallback_reason ? l->fallback_reason : SL_LINK_DIRECT_UNAVAILABLE,
         0);
  }
}

void sl_link_path_failed(sl_link *l, int path, int reason) {
  if (!l || !valid_path(path) || l->state[path] == NONE) return;
  bool was_ready = l->state[path] == READY;
  detach(l, path);
  if (l->closed) return;
  if (path == SL_LINK_PATH_RELAY) {
    if (l->offerer) emit(l, SL_LINK_SET_TIMER, SL_LINK_TIMER_RELAY_RETRY, RELAY_RETRY_MS);
    return;
  }
  /* A broken attempt (a WebRTC stack error, say) is not a verdict on the
   * network: the offerer retries at once, a few times. */
  bool broke = !was_ready && reason != SL_LINK_TIMEOUT && reason != SL_LINK_ICE_FAILED;
  if (broke && !l->offerer) emit(l, SL_LINK_REPORT_BROKEN, (int)l->attempt, 0);
  if (broke && l->offerer && l->quick_retries < QUICK_RETRIES) {
    l->quick_retries++;
    emit(l, SL_LINK_SET_TIMER, SL_LINK_TIMER_DIRECT_RETRY, QUICK_RETRY_MS);
    return;
  }
  l->fallback_reason = reason;
  if (!l->offerer) return;
  request_relay(l);
  emit(l, SL_LINK_SET_TIMER, SL_LINK_TIMER_DIRECT_RETRY, l->direct_retry_ms);
}

void sl_link_hub_lost(sl_link *l) {
  if (!l || l->state[SL_LINK_PATH_RELAY] == NONE) return;
  emit(l, SL_LINK_CLOSE_PATH, SL_LINK_PATH_RELAY,
       0); /* a relay path lives and dies with its hub connection */
  sl_link_path_failed(l, SL_LINK_PATH_RELAY, SL_LINK_HUB_CLOSED);
}

void sl_link_timer(sl_link *l, int timer) {
  if (!l || l->closed) return;
  if (timer == SL_LINK_TIMER_DIRECT_RETRY)
    start_direct(l);
  else if (timer == SL_LINK_TIMER_RELAY_RETRY)
    request_relay(l);
  else if (timer == SL_LINK_TIMER_RELAY_LINGER && l->linger_gen == l->relay_gen &&
           l->active != SL_LINK_PATH_RELAY)
    drop(l, SL_LINK_PATH_RELAY);
}

void sl_link_close(sl_link *l) {
  if (!l || l->closed) return;
  l->closed = true;
  for (int t = SL_LINK_TIMER_DIRECT_RETRY; t <= SL_LINK_TIMER_RELAY_LINGER; t++)
    emit(l, SL_LINK_SET_TIMER, t, -1);
  for (int p = SL_LINK_PATH_DIRECT; p <= SL_LINK_PATH_RELAY; p++) {
    if (l->state[p] != NONE) emit(l, SL_LINK_CLOSE_PATH, p, 0);
    l->state[p] = NONE;
  }
  l->active = 0;
}
