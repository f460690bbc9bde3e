/* delivery.c — exactly-once, in-order delivery over a link whose path can
 * change underneath (see starling.h and docs/protocol.md §3.4). Sans-IO:
 * the host passes frames in, asks for plaintext to write and performs the
 * events; no clock (the ACK delay is a timer the host arms), no socket.
 * Runs natively under the sanitizers and in a model-based fuzzer
 * (tests/fuzz/fuzz_delivery.c) that checks exactly-once, in-order
 * delivery and send()'s outcome over paths that are cut and replaced. */
#include "internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define ACK_EVERY 64           /* messages delivered before an ACK goes at once */
#define ACK_BYTES (256 * 1024) /* or bytes delivered */
#define ACK_DELAY_MS 5.0       /* otherwise an ACK waits this long for more to cover */
#define SEQ_HALF 0x80000000u
#define PRESENCE_MAX 1024

#if UINTPTR_MAX == 0xffffffffu
/* js-glue/delivery.js reads sl_delivery_event at these offsets on wasm32. */
_Static_assert(offsetof(sl_delivery_event, kind) == 0 && offsetof(sl_delivery_event, arg) == 4 &&
                   offsetof(sl_delivery_event, data) == 8 &&
                   offsetof(sl_delivery_event, len) == 12 &&
                   offsetof(sl_delivery_event, ms) == 16 && sizeof(sl_delivery_event) == 24,
               "js-glue/delivery.js reads sl_delivery_event at these offsets");
#endif

/* One message: its DATA frame, built once when queued (the sequence number
 * is filled in when it is first written). */
typedef struct msg {
  struct msg *next;
  uint32_t handle, seq;
  bool numbered, acked;
  size_t body_len, frame_len;
  uint8_t frame[]; /* [u32 len][type][u32 seq][kind][body] */
} msg;

typedef struct list {
  msg *head, *tail;
} list;

/* An event as queued: data lives in the arena, by offset (the arena may
 * move as it grows). */
typedef struct event {
  int kind;
  uint32_t arg, len;
  size_t data;
  double ms;
} event;

struct sl_delivery {
  size_t max_held, held;
  uint32_t next_handle, next_seq, received;
  bool closed, leaving, failed;
  /* outbound */
  list resend, high, normal, inflight; /* inflight: written on the active path, in seq order */
  msg *current;                        /* a frame partly written, or NULL */
  size_t offset;                       /* bytes of current written */
  bool ack_due, presence_due, timer_armed;
  uint32_t unacked_count;
  size_t unacked_bytes;
  uint8_t presence[PRESENCE_MAX];
  size_t presence_len;
  bool has_presence;
  /* events */
  event *queue;
  size_t head, count, cap;
  uint8_t *arena;
  size_t arena_len, arena_cap;
};

static bool covers(uint32_t up_to, uint32_t seq) {
  return up_to - seq < SEQ_HALF;
} /* seq <= up_to */
static bool after(uint32_t a, uint32_t b) { return a != b && a - b < SEQ_HALF; } /* a > b */

static void push(list *l, msg *m) {
  m->next = NULL;
  if (l->tail)
    l->tail->next = m;
  else
    l->head = m;
  l->tail = m;
}
static msg *shift(list *l) {
  msg *m = l->head;
  if (!m) return NULL;
  l->head = m->next;
  if (!l->head) l->tail = NULL;
  m->next = NULL;
  return m;
}
/* Puts all of `front` ahead of `l`, leaving `front` empty. */
static size_t prepend(list *l, list *front) {
  size_t n = 0;
  for (msg *m = front->head; m; m = m->next)
    n++;
  if (!front->head) return 0;
  front->tail->next = l->head;
  if (!l->tail) l->tail = front->tail;
  l->head = front->head;
  front->head = front->tail = NULL;
  return n;
}

/* ----------------------------------------------------------------- events */

/* A lost event would leave the host and the machine out of step (a send()
 * that never settles), so running out of memory is latched and reported. */
static void emit(sl_delivery *d, int kind, uint32_t arg, const uint8_t *data, size_t len,
                 double ms) {
  if (d->failed) return;
  if (!d->count) d->arena_len = 0; /* the host has read every earlier event */
  size_t at = d->arena_len;
  if (len) {
    if (d->arena_len + len > d->arena_cap) {
      size_t cap = d->arena_cap ? d->arena_cap : 4096;
      while (cap < d->arena_len + len)
        cap *= 2;
      uint8_t *bigger = realloc(d->arena, cap);
      if (!bigger) {
        d->failed = true;
        return;
      }
      d->arena = bigger;
      d->arena_cap = cap;
    }
    memcpy(d->arena + at, data, len);
    d->arena_len += len;
  }
  if (sl__fifo_reserve((void **)&d->queue, sizeof *d->queue, &d->head, d->count, &d->cap, 16) !=
      0) {
    d->failed = true;
    return;
  }
  d->queue[d->head + d->count++] = (event){kind, arg, (uint32_t)len, at, ms};
}

int sl_delivery_next(sl_delivery *d, sl_delivery_event *out) {
  if (d && d->failed) return SL_ENOMEM;
  if (!d || !out || !d->count) return 0;
  event e = d->queue[d->head++];
  if (!--d->count) d->head = 0;
  *out = (sl_delivery_event){e.kind, e.arg, e.len ? d->arena + e.data : NULL, e.len, e.ms};
  return 1;
}

/* ------------------------------------------------------------- lifecycle */

int sl_delivery_new(sl_delivery **out, size_t max_held_bytes) {
  if (!out) return SL_EINVAL;
  sl_delivery *d = calloc(1, sizeof *d);
  if (!d) return SL_ENOMEM;
  d->max_held = max_held_bytes;
  d->next_handle = 1;
  d->next_seq = 1;
  *out = d;
  return 0;
}

static void free_list(list *l) {
  for (msg *m; (m = shift(l)) != NULL;)
    free(m);
}

void sl_delivery_free(sl_delivery *d) {
  if (!d) return;
  if (d->current && d->current->acked) free(d->current); /* no longer on any list */
  list *lists[] = {&d->resend, &d->high, &d->normal, &d->inflight};
  for (size_t i = 0; i < 4; i++)
    free_list(lists[i]);
  free(d->queue);
  free(d->arena);
  free(d);
}

size_t sl_delivery_close(sl_delivery *d) {
  if (!d || d->closed) return 0;
  d->closed = true;
  size_t n = 0;
  list *lists[] = {&d->resend, &d->inflight, &d->high, &d->normal}; /* oldest first */
  for (size_t i = 0; i < 4; i++) {
    for (msg *m; (m = shift(lists[i])) != NULL; n++) {
      emit(d, SL_DELIVERY_FAILED, m->handle, NULL, 0, 0);
      if (m != d->current) free(m);
    }
  }
  if (d->current) free(d->current);
  d->current = NULL;
  d->held = 0;
  return n;
}

/* --------------------------------------------------------------- outbound */

/* A message's frame: DATA carries the kind byte (bytes or text); GOSSIP,
 * SIGNAL and ORDERBOOK frames have the same sequenced header with a zero
 * byte, so
 * that every kind shares one sequence, one ACK and one resend queue. */
static bool frame_of(int kind, unsigned *type, uint8_t *kind_byte) {
  switch (kind) {
  case SL_DELIVERY_BYTES:
  case SL_DELIVERY_TEXT:
    *type = SL_FRAME_DATA;
    *kind_byte = (uint8_t)kind;
    return true;
  case SL_DELIVERY_GOSSIP:
  case SL_DELIVERY_SIGNAL:
  case SL_DELIVERY_ORDERBOOK_REQUEST:
  case SL_DELIVERY_ORDERBOOK_RESPONSE:
  case SL_DELIVERY_ORDERBOOK_SYNC:
    *type = (unsigned)kind;
    *kind_byte = 0;
    return true;
  default:
    if (!sl_delivery_trade_kind(kind)) return false;
    *type = (unsigned)kind;
    *kind_byte = 0;
    return true;
  }
}

int sl_delivery_trade_kind(int kind) {
  return (kind >= SL_FRAME_TRADE_PROPOSE && kind <= SL_FRAME_TRADE_SIGNATURE) ||
         (kind >= SL_FRAME_PSBT_CREATE && kind <= SL_FRAME_PSBT_BROADCAST) ||
         kind == SL_FRAME_TIP_META;
}

int sl_delivery_send(sl_delivery *d, const uint8_t *body, size_t len, int kind, int high,
                     uint32_t *handle) {
  unsigned type;
  uint8_t kind_byte;
  if (!d || (!body && len) || !handle || !frame_of(kind, &type, &kind_byte)) return SL_EINVAL;
  if (len > SL_DELIVERY_MAX_BODY) return SL_EINVAL;
  if (d->closed || d->leaving) return SL_ESTATE;
  if (d->held + len > d->max_held) return SL_EQUEUE_FULL;
  size_t frame_len = SL_FRAME_HEADER_BYTES + SL_DATA_HEADER_BYTES + len;
  msg *m = malloc(sizeof *m + frame_len);
  if (!m) return SL_ENOMEM;
  *m = (msg){.handle = d->next_handle++, .body_len = len, .frame_len = frame_len};
  if (!d->next_handle) d->next_handle = 1; /* 0 is never a handle */
  sl__put_u32be(m->frame, (uint32_t)(1 + SL_DATA_HEADER_BYTES + len));
  m->frame[4] = (uint8_t)type;
  m->frame[SL_FRAME_HEADER_BYTES + 4] = kind_byte;
  if (len) memcpy(m->frame + SL_FRAME_HEADER_BYTES + SL_DATA_HEADER_BYTES, body, len);
  push(high ? &d->high : &d->normal, m);
  d->held += len;
  *handle = m->handle;
  return 0;
}

static msg *next_message(sl_delivery *d) {
  msg *m = shift(&d->resend);
  if (!m) m = shift(&d->high);
  if (!m) m = shift(&d->normal);
  return m;
}

/* Appends a control frame if it fits; false if not. */
static bool control(uint8_t *out, size_t cap, size_t *pos, unsigned type, const uint8_t *payload,
                    size_t len) {
  size_t n = 0;
  if (*pos + SL_FRAME_HEADER_BYTES + len > cap) return false;
  if (sl_frame_encode(type, payload, len, out + *pos, cap - *pos, &n) != 0) return false;
  *pos += n;
  return true;
}

static bool write_ack(sl_delivery *d, uint8_t *out, size_t cap, size_t *pos) {
  uint8_t seq[4];
  sl__put_u32be(seq, d->received);
  if (!control(out, cap, pos, SL_FRAME_ACK, seq, sizeof seq)) return false;
  d->ack_due = false;
  d->unacked_count = 0;
  d->unacked_bytes = 0;
  return true;
}

int sl_delivery_write(sl_delivery *d, uint8_t *out, size_t cap, size_t *len) {
  if (!d || !out || !len || cap < 64) return SL_EINVAL;
  *len = 0;
  if (d->closed || d->leaving) return 0;
  size_t pos = 0;
  if (!d->current) {
    if (d->ack_due) write_ack(d, out, cap, &pos);
    if (d->presence_due && d->has_presence &&
        control(out, cap, &pos, SL_FRAME_PRESENCE, d->presence, d->presence_len))
      d->presence_due = false;
  }
  while (pos < cap) {
    if (!d->current) {
      msg *m = next_message(d);
      if (!m) break;
      if (!m->numbered) {
        m->numbered = true;
        m->seq = d->next_seq++;
        sl__put_u32be(m->frame + SL_FRAME_HEADER_BYTES, m->seq);
      }
      push(&d->inflight, m);
      d->current = m;
      d->offset = 0;
    }
    msg *m = d->current;
    size_t n = m->frame_len - d->offset < cap - pos ? m->frame_len - d->offset : cap - pos;
    memcpy(out + pos, m->frame + d->offset, n);
    pos += n;
    d->offset += n;
    if (d->offset == m->frame_len) {
      d->current = NULL;
      if (m->acked) free(m); /* acknowledged (a copy arrived on the old path) while written */
    }
  }
  *len = pos;
  return 0;
}

/* Everything written but not acknowledged goes back to be written again,
 * oldest first; a frame half written on the old path is abandoned. */
static int requeue(sl_delivery *d) {
  if (d->current && d->current->acked) free(d->current);
  d->current = NULL;
  return (int)prepend(&d->resend, &d->inflight);
}

int sl_delivery_activate(sl_delivery *d) {
  if (!d || d->closed) return 0;
  int n = requeue(d);
  d->ack_due = true; /* tell the other end where we are */
  d->presence_due = d->has_presence;
  return n;
}

int sl_delivery_deactivate(sl_delivery *d) { return d && !d->closed ? requeue(d) : 0; }

int sl_delivery_set_presence(sl_delivery *d, const uint8_t *status, size_t len) {
  if (!d || (!status && len) || len > PRESENCE_MAX) return SL_EINVAL;
  if (len) memcpy(d->presence, status, len);
  d->presence_len = len;
  d->has_presence = true;
  d->presence_due = true;
  return 0;
}

int sl_delivery_goodbye(sl_delivery *d, uint8_t *out, size_t cap, size_t *len) {
  if (!d || !out || !len || cap < 64) return SL_EINVAL;
  *len = 0;
  if (d->closed || d->leaving || d->current) return 0;
  size_t pos = 0;
  if (d->ack_due) write_ack(d, out, cap, &pos);
  if (!control(out, cap, &pos, SL_FRAME_DISCONNECT, NULL, 0)) return SL_EBUFSIZE;
  d->leaving = true;
  *len = pos;
  return 0;
}

/* ---------------------------------------------------------------- inbound */

/* Coalesced like TCP's delayed ACK: at once after ACK_EVERY messages or
 * ACK_BYTES, otherwise after ACK_DELAY_MS. An ACK per message would cost a
 * record (and a channel send) each. */
static void schedule_ack(sl_delivery *d, size_t bytes) {
  d->ack_due = true;
  d->unacked_count++;
  d->unacked_bytes += bytes;
  if (d->unacked_count >= ACK_EVERY || d->unacked_bytes >= ACK_BYTES) {
    emit(d, SL_DELIVERY_WRITE, 0, NULL, 0, 0);
  } else if (!d->timer_armed) {
    d->timer_armed = true;
    emit(d, SL_DELIVERY_TIMER, 0, NULL, 0, ACK_DELAY_MS);
  }
}

void sl_delivery_timer(sl_delivery *d) {
  if (!d) return;
  d->timer_armed = false;
  if (d->ack_due && !d->closed) emit(d, SL_DELIVERY_WRITE, 0, NULL, 0, 0);
}

void sl_delivery_ack_now(sl_delivery *d) {
  if (d && d->ack_due && !d->closed) emit(d, SL_DELIVERY_WRITE, 0, NULL, 0, 0);
}

/* kind: what the frame carries (enum sl_delivery_kind), given by its type
 * for GOSSIP and SIGNAL and by the DATA header's kind byte otherwise. */
static void on_data(sl_delivery *d, unsigned type, const uint8_t *p, size_t len) {
  /* After our goodbye nothing more is delivered: it could not be acknowledged. */
  if (d->leaving || len < SL_DATA_HEADER_BYTES) return;
  uint32_t seq = sl__get_u32be(p), expected = d->received + 1;
  if (seq == expected) {
    d->received = seq;
    uint32_t kind = type == SL_FRAME_DATA ? (p[4] == SL_DELIVERY_TEXT) : type;
    emit(d, SL_DELIVERY_MESSAGE, kind, p + SL_DATA_HEADER_BYTES, len - SL_DATA_HEADER_BYTES, 0);
  } else if (after(seq, expected)) {
    /* A gap cannot happen on one ordered path whose resends start at the
     * oldest unacknowledged message; were it to, the message is dropped
     * unacknowledged and comes again after the next path change. */
    emit(d, SL_DELIVERY_OUT_OF_ORDER, seq, NULL, 0, 0);
    return;
  }
  /* else a duplicate (resent after a path change): acknowledged, not delivered. */
  schedule_ack(d, len);
}

static void acknowledge(sl_delivery *d, msg *m) {
  d->held -= m->body_len;
  emit(d, SL_DELIVERY_SENT, m->handle, NULL, 0, 0);
  if (m == d->current)
    m->acked = true; /* freed when its last byte is written */
  else
    free(m);
}

static void on_ack(sl_delivery *d, uint32_t up_to) {
  while (d->inflight.head && covers(up_to, d->inflight.head->seq))
    acknowledge(d, shift(&d->inflight));
  /* Resends waiting for a path may have been acknowledged meanwhile. */
  while (d->resend.head && covers(up_to, d->resend.head->seq))
    acknowledge(d, shift(&d->resend));
}

int sl_delivery_frame(sl_delivery *d, unsigned type, const uint8_t *payload, size_t len) {
  if (!d || (!payload && len)) return SL_EINVAL;
  if (d->closed) return 0;
  switch (type) {
  case SL_FRAME_DATA:
  case SL_FRAME_GOSSIP:
  case SL_FRAME_SIGNAL:
  case SL_FRAME_ORDERBOOK_REQUEST:
  case SL_FRAME_ORDERBOOK_RESPONSE:
  case SL_FRAME_ORDERBOOK_SYNC:
    on_data(d, type, payload, len);
    break;
  case SL_FRAME_ACK:
    if (len >= 4) on_ack(d, sl__get_u32be(payload));
    break;
  case SL_FRAME_PRESENCE:
    emit(d, SL_DELIVERY_PRESENCE, 0, payload, len < PRESENCE_MAX ? len : PRESENCE_MAX, 0);
    break;
  case SL_FRAME_DISCONNECT:
    emit(d, SL_DELIVERY_DISCONNECT, 0, NULL, 0, 0);
    break;
  default: /* the trade frames; other types belong to other layers */
    if (sl_delivery_trade_kind((int)type)) on_data(d, type, payload, len);
    break;
  }
  return d->failed ? SL_ENOMEM : 0;
}

/* ---------------------------------------------------------------- queries */

int sl_delivery_idle(const sl_delivery *d) {
  return !d || (!d->resend.head && !d->inflight.head && !d->high.head && !d->normal.head);
}
size_t sl_delivery_held_bytes(const sl_delivery *d) { return d ? d->held : 0; }
uint32_t sl_delivery_received(const sl_delivery *d) { return d ? d->received : 0; }

void sl_delivery_set_sequence(sl_delivery *d, uint32_t next_seq, uint32_t received) {
  if (!d) return;
  d->next_seq = next_seq;
  d->received = received;
}
