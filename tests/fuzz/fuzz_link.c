/* fuzz_link.c — libFuzzer target: the connection state machine under any
 * order of events (each input byte pair is one event), checked against a
 * shadow of what the host would hold: a path is only closed or activated
 * while it exists, a new path never starts over an existing one of its
 * kind, the active path exists and was ready, and a closed link asks for
 * nothing more. */
#include "internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct shadow {
  bool open[3], ready[3]; /* by enum sl_link_path */
  int active;
  bool closed;
} shadow;

static void apply(sl_link *l, shadow *s) {
  sl_link_action a;
  while (sl_link_next(l, &a)) {
    int p = a.arg;
    switch (a.kind) {
    case SL_LINK_START_DIRECT:
      if (s->closed || s->open[SL_LINK_PATH_DIRECT]) abort();
      s->open[SL_LINK_PATH_DIRECT] = true;
      s->ready[SL_LINK_PATH_DIRECT] = false;
      break;
    case SL_LINK_START_RELAY:
      if (s->closed || s->open[SL_LINK_PATH_RELAY]) abort();
      s->open[SL_LINK_PATH_RELAY] = true;
      s->ready[SL_LINK_PATH_RELAY] = false;
      break;
    case SL_LINK_CLOSE_PATH:
      if ((p != SL_LINK_PATH_DIRECT && p != SL_LINK_PATH_RELAY) || !s->open[p]) abort();
      s->open[p] = s->ready[p] = false;
      break;
    case SL_LINK_ACTIVATE:
      if (s->closed || (p != SL_LINK_PATH_DIRECT && p != SL_LINK_PATH_RELAY) || !s->open[p] ||
          !s->ready[p])
        abort();
      s->active = p;
      break;
    case SL_LINK_DEACTIVATE:
      if (s->active != p) abort();
      s->active = 0;
      break;
    case SL_LINK_SET_TIMER:
      if (a.arg < SL_LINK_TIMER_DIRECT_RETRY || a.arg > SL_LINK_TIMER_RELAY_LINGER) abort();
      if (s->closed && a.ms >= 0) abort();
      break;
    default:
      if (s->closed || a.kind < SL_LINK_START_DIRECT || a.kind > SL_LINK_SET_TIMER) abort();
      break;
    }
  }
  if (!s->closed && sl_link_active(l) != s->active) abort();
}

/* A path the host holds ends or completes: only those reach the link. */
static void path_event(sl_link *l, shadow *s, int p, bool ready, int reason) {
  if (!s->open[p]) return;
  if (ready) {
    s->ready[p] = true;
    sl_link_path_ready(l, p);
  } else {
    s->open[p] = s->ready[p] = false;
    sl_link_path_failed(l, p, reason);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  sl_link *l = NULL;
  if (sl_link_new(&l, data[0] & 1, 30000) != 0) abort();
  shadow s = {0};
  for (size_t i = 1; i + 1 < size; i += 2) {
    int op = data[i] % 11, x = data[i + 1];
    int p = x & 1 ? SL_LINK_PATH_RELAY : SL_LINK_PATH_DIRECT;
    switch (op) {
    case 0:
      sl_link_set_hub(l, x & 1);
      break;
    case 1:
      sl_link_start(l);
      break;
    case 2:
      sl_link_present(l);
      break;
    case 3:
      (void)sl_link_offer(l, (uint32_t)x % 8);
      break;
    case 4:
      sl_link_relay_ready(l);
      break;
    case 5:
      path_event(l, &s, p, true, 0);
      break;
    case 6:
      path_event(l, &s, p, false, 1 + (x >> 1) % 7);
      break;
    case 7:
      sl_link_hub_lost(l);
      break;
    case 8:
      sl_link_timer(l, 1 + x % 4);
      break; /* 4: not a timer */
    case 9:  /* closing needs no deactivation: the host drops everything */
      sl_link_close(l);
      s.closed = true;
      break;
    default: /* path numbers that are no path are ignored */
      sl_link_path_failed(l, x & 1 ? 3 : 0, x);
      sl_link_path_ready(l, x & 1 ? -1 : 0);
      break;
    }
    apply(l, &s);
  }
  sl_link_free(l);
  return 0;
}
