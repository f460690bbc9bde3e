/* test_link.c — the per-peer connection state machine, driven as the glue
 * drives it: direct first, fallback to the relay, background retry and the
 * move back, quick retries of broken attempts, the answerer's side, hub
 * loss, and close. Each step's actions are compared as a string. */
#include "check.h"
#include "internal.h"

#define D SL_LINK_PATH_DIRECT
#define R SL_LINK_PATH_RELAY

/* The queued actions, e.g. "start-direct:1 timer:1:250". */
static const char *actions(sl_link *l) {
  static char out[512];
  static const char *names[] = {
      "",      "start-direct", "report-broken", "request-relay", "start-relay",
      "close", "activate",     "deactivate",    "fallback",      "timer"};
  out[0] = 0;
  sl_link_action a;
  while (sl_link_next(l, &a)) {
    char one[64];
    if (a.kind == SL_LINK_SET_TIMER)
      snprintf(one, sizeof one, "timer:%d:%.0f", a.arg, a.ms);
    else if (a.kind == SL_LINK_REQUEST_RELAY || a.kind == SL_LINK_START_RELAY)
      snprintf(one, sizeof one, "%s", names[a.kind]);
    else
      snprintf(one, sizeof one, "%s:%d", names[a.kind], a.arg);
    if (out[0]) strncat(out, " ", sizeof out - strlen(out) - 1);
    strncat(out, one, sizeof out - strlen(out) - 1);
  }
  return out;
}

#define EXPECT(l, want)                                                                            \
  do {                                                                                             \
    const char *got_ = actions(l);                                                                 \
    if (strcmp(got_, want) != 0) fprintf(stderr, "  got:  %s\n  want: %s\n", got_, want);          \
    CHECK(strcmp(got_, want) == 0);                                                                \
  } while (0)

static sl_link *new_link(int offerer) {
  sl_link *l = NULL;
  CHECK_EQ(sl_link_new(&l, offerer, 30000), 0);
  sl_link_set_hub(l, 1);
  return l;
}

static void test_direct_first(void) {
  sl_link *l = NULL;
  CHECK_EQ(sl_link_new(&l, 1, 30000), 0);
  sl_link_start(l);
  EXPECT(l, ""); /* no hub, no attempt */
  sl_link_set_hub(l, 1);
  sl_link_start(l);
  EXPECT(l, "timer:1:-1 start-direct:1");
  sl_link_start(l);
  EXPECT(l, ""); /* one attempt at a time */
  sl_link_path_ready(l, D);
  EXPECT(l, "activate:1");
  CHECK_EQ(sl_link_active(l), D);
  sl_link_path_ready(l, D);
  EXPECT(l, ""); /* not connecting: ignored */
  sl_link_free(l);
  sl_link_free(NULL);
}

static void test_fallback_and_move_back(void) {
  sl_link *l = new_link(1);
  sl_link_start(l);
  EXPECT(l, "timer:1:-1 start-direct:1");
  sl_link_path_failed(l, D, SL_LINK_TIMEOUT);
  EXPECT(l, "timer:2:-1 request-relay timer:1:30000");
  CHECK_EQ(sl_link_fallback_reason(l), SL_LINK_TIMEOUT);
  sl_link_relay_ready(l);
  EXPECT(l, "start-relay");
  sl_link_path_ready(l, R);
  EXPECT(l, "activate:2 fallback:1");
  sl_link_timer(l, SL_LINK_TIMER_DIRECT_RETRY);
  EXPECT(l, "timer:1:-1 start-direct:2");
  sl_link_path_ready(l, D);
  EXPECT(l, "activate:1 timer:3:5000"); /* direct carries data; the relay lingers */
  sl_link_timer(l, SL_LINK_TIMER_RELAY_LINGER);
  EXPECT(l, "close:2");
  CHECK_EQ(sl_link_active(l), D);
  sl_link_free(l);
}

static void test_linger_spares_a_newer_relay(void) {
  sl_link *l = new_link(1);
  sl_link_start(l);
  sl_link_path_failed(l, D, SL_LINK_ICE_FAILED);
  sl_link_relay_ready(l);
  sl_link_path_ready(l, R);
  sl_link_timer(l, SL_LINK_TIMER_DIRECT_RETRY);
  sl_link_path_ready(l, D);
  (void)actions(l);
  sl_link_relay_ready(l); /* a new relay session before the linger fired */
  EXPECT(l, "close:2 start-relay");
  sl_link_timer(l, SL_LINK_TIMER_RELAY_LINGER);
  EXPECT(l, "");
  sl_link_free(l);
}

static void test_quick_retries(void) {
  sl_link *l = new_link(1);
  sl_link_start(l);
  (void)actions(l);
  for (int i = 0; i < 2; i++) {
    sl_link_path_failed(l, D, SL_LINK_OTHER); /* broke before it was ready */
    EXPECT(l, "timer:1:250");
    sl_link_timer(l, SL_LINK_TIMER_DIRECT_RETRY);
    CHECK_EQ(sl_link_attempt(l), (uint32_t)(i + 2));
    (void)actions(l);
  }
  sl_link_path_failed(l, D, SL_LINK_REMOTE_FAILED);
  EXPECT(l, "timer:2:-1 request-relay timer:1:30000");
  CHECK_EQ(sl_link_fallback_reason(l), SL_LINK_REMOTE_FAILED);
  /* A path that was ready and then closed is no broken attempt. */
  sl_link_timer(l, SL_LINK_TIMER_DIRECT_RETRY);
  sl_link_path_ready(l, D);
  (void)actions(l);
  sl_link_path_failed(l, D, SL_LINK_PATH_CLOSED);
  EXPECT(l, "deactivate:1 timer:2:-1 request-relay timer:1:30000");
  sl_link_free(l);
}

static void test_answerer(void) {
  sl_link *l = new_link(0);
  sl_link_start(l);
  EXPECT(l, ""); /* the answerer never starts attempts */
  CHECK_EQ(sl_link_offer(l, 1), 1);
  EXPECT(l, "start-direct:1");
  CHECK_EQ(sl_link_offer(l, 1), 0);
  CHECK_EQ(sl_link_offer(l, 2), 1);
  EXPECT(l, "close:1 start-direct:2");
  sl_link_path_failed(l, D, SL_LINK_OTHER);
  EXPECT(l, "report-broken:2"); /* the offerer retries; we only report */
  sl_link_path_failed(l, D, SL_LINK_OTHER);
  EXPECT(l, ""); /* already gone */
  sl_link_relay_ready(l);
  sl_link_path_ready(l, R);
  EXPECT(l, "start-relay activate:2 fallback:6");
  sl_link_present(l);
  EXPECT(l, "");
  sl_link_free(l);
}

static void test_hub_loss_and_promotion(void) {
  sl_link *l = new_link(1);
  sl_link_start(l);
  sl_link_path_failed(l, D, SL_LINK_TIMEOUT);
  sl_link_relay_ready(l);
  sl_link_path_ready(l, R);
  (void)actions(l);
  sl_link_hub_lost(l);
  EXPECT(l, "close:2 deactivate:2 timer:2:1000");
  CHECK_EQ(sl_link_active(l), 0);
  sl_link_set_hub(l, 0);
  sl_link_timer(l, SL_LINK_TIMER_RELAY_RETRY);
  EXPECT(l, "timer:2:-1 timer:2:1000"); /* no hub: ask again in a second */
  sl_link_timer(l, SL_LINK_TIMER_RELAY_RETRY);
  EXPECT(l, "timer:2:-1 timer:2:1000");
  /* The hub is back: the next retry asks, with no presence event needed. */
  sl_link_set_hub(l, 1);
  sl_link_timer(l, SL_LINK_TIMER_RELAY_RETRY);
  EXPECT(l, "timer:2:-1 request-relay");
  sl_link_present(l);
  EXPECT(l, "timer:1:-1 start-direct:2 timer:2:-1 request-relay");
  /* Both paths ready, direct active: when it fails the relay takes over. */
  sl_link_relay_ready(l);
  sl_link_path_ready(l, R);
  sl_link_path_ready(l, D);
  (void)actions(l);
  sl_link_path_failed(l, D, SL_LINK_PATH_CLOSED);
  EXPECT(l, "deactivate:1 activate:2 timer:2:-1 timer:1:30000");
  sl_link_free(l);
}

static void test_close(void) {
  sl_link *l = new_link(1);
  sl_link_start(l);
  sl_link_path_ready(l, D);
  (void)actions(l);
  sl_link_close(l);
  EXPECT(l, "timer:1:-1 timer:2:-1 timer:3:-1 close:1");
  CHECK_EQ(sl_link_active(l), 0);
  sl_link_timer(l, SL_LINK_TIMER_DIRECT_RETRY);
  sl_link_present(l);
  sl_link_relay_ready(l);
  sl_link_path_failed(l, D, SL_LINK_TIMEOUT);
  EXPECT(l, "");
  CHECK_EQ(sl_link_new(NULL, 1, 0), SL_EINVAL);
  CHECK_EQ(sl_link_new(&l, 1, -1), SL_EINVAL);
  sl_link_free(l);
}

int main(void) {
  test_direct_first();
  test_fallback_and_move_back();
  test_linger_spares_a_newer_relay();
  test_quick_retries();
  test_answerer();
  test_hub_loss_and_promotion();
  test_close();
  return check_summary("link");
}
