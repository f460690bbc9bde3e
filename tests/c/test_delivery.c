/* test_delivery.c — the delivery machine between two ends, with the frame
 * stream carried by hand: in-order exactly-once delivery, ACK coalescing
 * and send()'s outcome, priorities, the byte cap, resend and dedupe across
 * a path change (also with a frame half written), sequence numbers across
 * the 32-bit wrap, the goodbye, and close. */
#include "check.h"
#include "internal.h"

#include <stdlib.h>

/* One end: its machine, and the decoder of the path it reads from. */
typedef struct end {
  sl_delivery *d;
  sl_frame_decoder *dec;
  char got[64][32];   /* delivered messages, as text */
  uint32_t kinds[64]; /* and their enum sl_delivery_kind */
  int ngot, sent, failed, writes, timers, disconnects, out_of_order;
  uint32_t sent_handles[64];
} end;

static void new_end(end *e, size_t cap) {
  memset(e, 0, sizeof *e);
  CHECK_EQ(sl_delivery_new(&e->d, cap), 0);
  CHECK_EQ(sl_frame_decoder_new(&e->dec, 0), 0);
}

static void free_end(end *e) {
  sl_delivery_free(e->d);
  sl_frame_decoder_free(e->dec);
}

static void drain(end *e) {
  sl_delivery_event ev;
  while (sl_delivery_next(e->d, &ev) == 1) {
    switch (ev.kind) {
    case SL_DELIVERY_MESSAGE:
      if (e->ngot < 64) {
        e->kinds[e->ngot] = ev.arg;
        snprintf(e->got[e->ngot], sizeof e->got[0], "%.*s", (int)(ev.len < 31 ? ev.len : 31),
                 (const char *)ev.data);
        e->ngot++;
      }
      break;
    case SL_DELIVERY_SENT:
      if (e->sent < 64) e->sent_handles[e->sent] = ev.arg;
      e->sent++;
      break;
    case SL_DELIVERY_FAILED:
      e->failed++;
      break;
    case SL_DELIVERY_WRITE:
      e->writes++;
      break;
    case SL_DELIVERY_TIMER:
      e->timers++;
      break;
    case SL_DELIVERY_DISCONNECT:
      e->disconnects++;
      break;
    case SL_DELIVERY_OUT_OF_ORDER:
      e->out_of_order++;
      break;
    default:
      break;
    }
  }
}

/* Feeds bytes to `to` through its decoder. */
static void feed(end *to, const uint8_t *bytes, size_t len) {
  for (size_t pos = 0; pos < len;) {
    size_t used = 0;
    sl_frame f;
    int rc = sl_frame_decoder_push(to->dec, bytes + pos, len - pos, &used, &f);
    CHECK(rc >= 0);
    if (rc < 0) return;
    pos += used;
    if (rc == 1) CHECK_EQ(sl_delivery_frame(to->d, f.type, f.payload, f.len), 0);
  }
  drain(to);
}

/* Everything `from` has to write, in chunks of cap, into `to`. */
static size_t pump(end *from, end *to, size_t cap) {
  static uint8_t buf[SL_RECORD_MAX_PLAINTEXT];
  size_t total = 0, n = 0;
  do {
    CHECK_EQ(sl_delivery_write(from->d, buf, cap, &n), 0);
    if (to) feed(to, buf, n);
    total += n;
  } while (n);
  return total;
}

static uint32_t send_text(end *e, const char *s, int high) {
  uint32_t h = 0;
  CHECK_EQ(sl_delivery_send(e->d, (const uint8_t *)s, strlen(s), 1, high, &h), 0);
  return h;
}

static void test_in_order_and_acks(void) {
  end a, b;
  new_end(&a, 1 << 20);
  new_end(&b, 1 << 20);
  sl_delivery_activate(a.d);
  sl_delivery_activate(b.d);
  uint32_t h1 = send_text(&a, "one", 0);
  send_text(&a, "two", 0);
  send_text(&a, "urgent", 1); /* high goes before every normal message not yet written */
  pump(&a, &b, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(b.ngot, 3);
  CHECK(strcmp(b.got[0], "urgent") == 0 && strcmp(b.got[1], "one") == 0 &&
        strcmp(b.got[2], "two") == 0);
  CHECK_EQ(b.timers, 1); /* the ACK waits for more to cover */
  CHECK_EQ(a.sent, 0);
  CHECK(!sl_delivery_idle(a.d));
  sl_delivery_timer(b.d);
  drain(&b);
  CHECK_EQ(b.writes, 1);
  pump(&b, &a, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(a.sent, 3);
  CHECK(a.sent_handles[1] == h1); /* "urgent" (seq 1) was acknowledged first */
  CHECK(sl_delivery_idle(a.d));
  CHECK_EQ(sl_delivery_held_bytes(a.d), 0);
  /* 64 messages get an ACK at once, without the timer. */
  for (int i = 0; i < 64; i++)
    send_text(&a, "m", 0);
  b.writes = 0;
  pump(&a, &b, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(b.writes, 1);
  /* The byte cap refuses, and counts only what is held. */
  uint32_t h = 0;
  uint8_t big[600];
  memset(big, 1, sizeof big);
  end c;
  new_end(&c, 1000);
  CHECK_EQ(sl_delivery_send(c.d, big, sizeof big, 0, 0, &h), 0);
  CHECK_EQ(sl_delivery_send(c.d, big, sizeof big, 0, 0, &h), SL_EQUEUE_FULL);
  CHECK_EQ(sl_delivery_send(c.d, big, SL_DELIVERY_MAX_BODY + 1, 0, 0, &h), SL_EINVAL);
  CHECK_EQ(sl_delivery_held_bytes(c.d), 600);
  free_end(&a), free_end(&b), free_end(&c);
}

/* What was in flight when the path changed is written again on the new
 * one; the receiver delivers what it lacks and acknowledges the copies. */
static void test_path_change(void) {
  end a, b;
  new_end(&a, 1 << 20);
  new_end(&b, 1 << 20);
  sl_delivery_activate(a.d);
  send_text(&a, "first", 0);
  send_text(&a, "second", 0);
  static uint8_t buf[SL_RECORD_MAX_PLAINTEXT];
  size_t n = 0;
  CHECK_EQ(sl_delivery_write(a.d, buf, sizeof buf, &n), 0);
  feed(&b, buf, n - 3); /* the old path died with the last 3 bytes unread */
  CHECK_EQ(b.ngot, 1);
  CHECK_EQ(sl_delivery_activate(a.d), 2); /* both unacknowledged: both again */
  sl_frame_decoder_free(b.dec);           /* the new path has a decoder of its own */
  CHECK_EQ(sl_frame_decoder_new(&b.dec, 0), 0);
  pump(&a, &b, 64); /* small chunks: frames span writes */
  CHECK_EQ(b.ngot, 2);
  CHECK(strcmp(b.got[1], "second") == 0);
  sl_delivery_ack_now(b.d);
  drain(&b);
  pump(&b, &a, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(a.sent, 2);
  CHECK(sl_delivery_idle(a.d));

  /* An ACK can cover a frame while it is being written again (its copy on
   * the old path arrived): the rest is still written, then it is freed. */
  uint8_t big[5000];
  memset(big, 'x', sizeof big);
  uint32_t h = 0;
  CHECK_EQ(sl_delivery_send(a.d, big, sizeof big, 0, 0, &h), 0);
  CHECK_EQ(sl_delivery_write(a.d, buf, sizeof buf, &n), 0); /* written whole on the old path */
  CHECK_EQ(sl_delivery_activate(a.d), 1);
  CHECK_EQ(sl_delivery_write(a.d, buf, 100, &n), 0); /* the resend starts: the ACK, 91 bytes */
  uint8_t ack[] = {0, 0, 0, 3};
  CHECK_EQ(sl_delivery_frame(a.d, SL_FRAME_ACK, ack, 4), 0);
  drain(&a);
  CHECK_EQ(a.sent, 3);
  CHECK_EQ(sl_delivery_held_bytes(a.d), 0);
  size_t rest = pump(&a, NULL, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(rest, 5 + 5 + 5000 - 91); /* the frame's remainder, and nothing after it */
  free_end(&a), free_end(&b);
}

static void test_wrap_goodbye_close(void) {
  end a, b;
  new_end(&a, 1 << 20);
  new_end(&b, 1 << 20);
  sl_delivery_set_sequence(a.d, 0xfffffffeu, 0);
  sl_delivery_set_sequence(b.d, 1, 0xfffffffdu);
  const char *words[] = {"w0", "w1", "w2", "w3"};
  for (int i = 0; i < 4; i++)
    send_text(&a, words[i], 0);
  pump(&a, &b, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(b.ngot, 4);
  CHECK_EQ(sl_delivery_received(b.d), 1); /* ...fffe, ...ffff, 0, 1 */
  /* A duplicate from before the wrap is acknowledged, not delivered. */
  uint8_t dup[] = {0xff, 0xff, 0xff, 0xfe, 1, 'w', '0'};
  CHECK_EQ(sl_delivery_frame(b.d, SL_FRAME_DATA, dup, sizeof dup), 0);
  drain(&b);
  CHECK_EQ(b.ngot, 4);
  /* A gap is dropped unacknowledged and counted. */
  uint8_t gap[] = {0, 0, 0, 9, 1, 'x'};
  CHECK_EQ(sl_delivery_frame(b.d, SL_FRAME_DATA, gap, sizeof gap), 0);
  drain(&b);
  CHECK_EQ(b.out_of_order, 1);
  CHECK_EQ(b.ngot, 4);
  /* The goodbye carries the due ACK, then DISCONNECT; after it nothing
   * more is delivered or sent. */
  static uint8_t buf[256];
  size_t n = 0;
  CHECK_EQ(sl_delivery_goodbye(b.d, buf, sizeof buf, &n), 0);
  CHECK_EQ(n, 9 + 5);
  feed(&a, buf, n);
  CHECK_EQ(a.sent, 4);
  CHECK_EQ(a.disconnects, 1);
  uint32_t h = 0;
  CHECK_EQ(sl_delivery_send(b.d, (const uint8_t *)"late", 4, 1, 0, &h), SL_ESTATE);
  send_text(&a, "after", 0);
  pump(&a, &b, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(b.ngot, 4);
  /* Close fails what is still held, oldest first. */
  send_text(&a, "queued", 0);
  CHECK_EQ(sl_delivery_close(a.d), 2);
  drain(&a);
  CHECK_EQ(a.failed, 2);
  CHECK_EQ(sl_delivery_held_bytes(a.d), 0);
  CHECK_EQ(sl_delivery_send(a.d, (const uint8_t *)"x", 1, 1, 0, &h), SL_ESTATE);
  free_end(&a), free_end(&b);
}

/* GOSSIP and SIGNAL messages share the DATA sequence: in order with the
 * application's messages, acknowledged together, marked by their kind. */
static void test_kinds(void) {
  end a, b;
  new_end(&a, 1 << 20);
  new_end(&b, 1 << 20);
  sl_delivery_activate(a.d);
  sl_delivery_activate(b.d);
  uint32_t h = 0;
  send_text(&a, "text", 0);
  CHECK_EQ(sl_delivery_send(a.d, (const uint8_t *)"rpc", 3, SL_DELIVERY_GOSSIP, 0, &h), 0);
  CHECK_EQ(sl_delivery_send(a.d, (const uint8_t *)"sig", 3, SL_DELIVERY_SIGNAL, 0, &h), 0);
  CHECK_EQ(sl_delivery_send(a.d, (const uint8_t *)"raw", 3, SL_DELIVERY_BYTES, 0, &h), 0);
  CHECK_EQ(sl_delivery_send(a.d, (const uint8_t *)"x", 1, 7, 0, &h), SL_EINVAL);
  CHECK_EQ(sl_delivery_send(a.d, (const uint8_t *)"x", 1, SL_FRAME_ACK, 0, &h), SL_EINVAL);
  pump(&a, &b, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(b.ngot, 4);
  CHECK(strcmp(b.got[1], "rpc") == 0 && strcmp(b.got[2], "sig") == 0);
  CHECK(b.kinds[0] == SL_DELIVERY_TEXT && b.kinds[1] == SL_DELIVERY_GOSSIP &&
        b.kinds[2] == SL_DELIVERY_SIGNAL && b.kinds[3] == SL_DELIVERY_BYTES);
  sl_delivery_timer(b.d);
  drain(&b);
  pump(&b, &a, SL_RECORD_MAX_PLAINTEXT);
  CHECK_EQ(a.sent, 4);
  /* A GOSSIP frame carries its own type on the wire. */
  uint8_t out[64];
  size_t n = 0;
  CHECK_EQ(sl_delivery_send(a.d, (const uint8_t *)"g", 1, SL_DELIVERY_GOSSIP, 0, &h), 0);
  CHECK_EQ(sl_delivery_write(a.d, out, sizeof out, &n), 0);
  CHECK(n == SL_FRAME_HEADER_BYTES + SL_DATA_HEADER_BYTES + 1 && out[4] == SL_FRAME_GOSSIP &&
        out[SL_FRAME_HEADER_BYTES + 4] == 0);
  free_end(&a);
  free_end(&b);
}

int main(void) {
  if (sl_init() != 0) return 1;
  test_in_order_and_acks();
  test_path_change();
  test_wrap_goodbye_close();
  test_kinds();
  return check_summary("delivery");
}
