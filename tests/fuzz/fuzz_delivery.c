/* fuzz_delivery.c — libFuzzer target, model-based: two delivery machines
 * joined by paths that the input cuts, replaces and interleaves. A path is
 * what the real ones are, an ordered byte stream per direction (each end
 * reads it with a decoder of its own), but one that can die at any byte,
 * and whose remaining bytes can still arrive after the next path's, or
 * never. That gives the loss, duplication (resends) and reordering (old
 * path against new) a link sees. Checked against a model of what was
 * sent, on every event:
 *   - a message is delivered at most once, intact, and in order within its
 *     priority class;
 *   - SENT only for a message the other end delivered, and at most once;
 *     FAILED never for one that was SENT;
 * and at the end, after a clean path in both directions, that every
 * message was delivered and acknowledged (nothing stuck). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSGS 96
#define PATHS 2 /* the active path and the one before it */
#define PIPE_CAP (1 << 20)

typedef struct pipe {
  uint8_t *buf;
  size_t len, read;      /* written and read so far (the read part is dropped as it goes) */
  size_t total;          /* bytes ever written, to see progress */
  sl_frame_decoder *dec; /* the reader's */
} pipe;

typedef struct msg_model {
  uint32_t handle;
  uint16_t len;
  uint8_t kind; /* enum sl_delivery_kind */
  bool high, delivered, sent, failed;
} msg_model;

typedef struct end {
  sl_delivery *d;
  msg_model msgs[MAX_MSGS]; /* what this end sent, in send order */
  int nmsgs;
  int last_delivered[2]; /* by class of the other end's messages: index of the last delivered */
  pipe out[PATHS];       /* what this end wrote, per path (0: active) */
  bool closed;
} end;

static end ends[2];

static void pipe_reset(pipe *p) {
  p->len = p->read = p->total = 0;
  sl_frame_decoder_free(p->dec);
  if (sl_frame_decoder_new(&p->dec, 0) != 0) abort();
}

/* Body: [u8 index][u8 class][filler derived from both]. */
static void body_for(int index, bool high, uint16_t len, uint8_t *out) {
  for (uint16_t i = 0; i < len; i++)
    out[i] = (uint8_t)(index * 31 + i * 7 + high);
  if (len >= 1) out[0] = (uint8_t)index;
  if (len >= 2) out[1] = high;
}

/* An event at `at` about a message of the other end. */
static void on_events(int at) {
  end *e = &ends[at], *other = &ends[1 - at];
  sl_delivery_event ev;
  int rc;
  while ((rc = sl_delivery_next(e->d, &ev)) == 1) {
    if (ev.kind == SL_DELIVERY_MESSAGE) {
      /* Which of the other end's messages is this? The body says. */
      if (ev.len < 2) abort(); /* every model message is at least 2 bytes */
      int index = ev.data[0];
      bool high = ev.data[1];
      if (index >= other->nmsgs) abort();
      msg_model *m = &other->msgs[index];
      if (m->high != high || m->len != ev.len || m->kind != ev.arg || m->delivered)
        abort(); /* altered, or twice */
      static uint8_t want[SL_DELIVERY_MAX_BODY];
      body_for(index, high, m->len, want);
      if (memcmp(want, ev.data, ev.len) != 0) abort();
      if (index <= e->last_delivered[high]) abort(); /* out of order within its class */
      e->last_delivered[high] = index;
      m->delivered = true;
    } else if (ev.kind == SL_DELIVERY_SENT || ev.kind == SL_DELIVERY_FAILED) {
      msg_model *m = NULL;
      for (int i = 0; i < e->nmsgs; i++)
        if (e->msgs[i].handle == ev.arg) m = &e->msgs[i];
      if (!m || m->sent || m->failed) abort();
      if (ev.kind == SL_DELIVERY_SENT && !m->delivered) abort(); /* resolved, never arrived */
      if (ev.kind == SL_DELIVERY_SENT)
        m->sent = true;
      else
        m->failed = true;
    }
  }
  if (rc < 0) abort(); /* out of memory is not expected here */
}

/* Writes what `at` has due into its active path, in chunks of cap. */
static void pump(int at, size_t cap, int max_chunks) {
  end *e = &ends[at];
  pipe *p = &e->out[0];
  for (int i = 0; i < max_chunks; i++) {
    if (p->len + cap > PIPE_CAP) return;
    size_t n = 0;
    if (sl_delivery_write(e->d, p->buf + p->len, cap, &n) != 0) abort();
    if (!n) return;
    p->len += n;
    p->total += n;
  }
}

/* Up to n bytes of `from`'s path `which` arrive at the other end. */
static void carry(int from, int which, size_t n) {
  pipe *p = &ends[from].out[which];
  end *to = &ends[1 - from];
  if (n > p->len - p->read) n = p->len - p->read;
  const uint8_t *bytes = p->buf + p->read;
  p->read += n;
  for (size_t pos = 0; pos < n;) {
    size_t used = 0;
    sl_frame f;
    int rc = sl_frame_decoder_push(p->dec, bytes + pos, n - pos, &used, &f);
    if (rc < 0) abort(); /* the writer only ever writes whole, valid frames */
    pos += used;
    if (rc == 1 && sl_delivery_frame(to->d, f.type, f.payload, f.len) != 0) abort();
    on_events(1 - from);
  }
  memmove(p->buf, p->buf + p->read, p->len - p->read); /* the decoder keeps what it needs */
  p->len -= p->read;
  p->read = 0;
}

/* `at` moves to a new path for what it writes: the active one becomes
 * the old one (its unread bytes may still arrive), the one before that is
 * gone. As in the link, a machine writes on a path only once activated
 * for it, so a frame half written is never continued on another. */
static void new_path(int at) {
  end *e = &ends[at];
  pipe gone = e->out[1];
  e->out[1] = e->out[0];
  e->out[0] = gone;
  pipe_reset(&e->out[0]);
  sl_delivery_activate(e->d);
  on_events(at);
}

static void send(int at, uint8_t a, uint8_t b) {
  end *e = &ends[at];
  if (e->nmsgs >= MAX_MSGS) return;
  bool high = a & 1;
  /* Mostly small; sometimes large enough to span several records. */
  uint16_t len = (uint16_t)(2 + (a & 0x40 ? (unsigned)b * 160 : b % 40));
  static uint8_t body[SL_DELIVERY_MAX_BODY];
  body_for(e->nmsgs, high, len, body);
  static const uint8_t kinds[4] = {SL_DELIVERY_BYTES, SL_DELIVERY_TEXT, SL_DELIVERY_GOSSIP,
                                   SL_DELIVERY_SIGNAL};
  uint8_t kind = kinds[(a >> 1) & 3];
  uint32_t h = 0;
  int rc = sl_delivery_send(e->d, body, len, kind, high, &h);
  if (rc == SL_EQUEUE_FULL) return;
  if (rc != 0) abort();
  e->msgs[e->nmsgs++] = (msg_model){.handle = h, .len = len, .kind = kind, .high = high};
}

static void setup(void) {
  for (int at = 0; at < 2; at++) {
    end *e = &ends[at];
    memset(e->msgs, 0, sizeof e->msgs);
    e->nmsgs = 0;
    e->last_delivered[0] = e->last_delivered[1] = -1;
    e->closed = false;
    if (sl_delivery_new(&e->d, 4u << 20) != 0) abort();
    for (int p = 0; p < PATHS; p++) {
      if (!e->out[p].buf && !(e->out[p].buf = malloc(PIPE_CAP))) abort();
      pipe_reset(&e->out[p]);
    }
    sl_delivery_activate(e->d);
  }
}

/* A clean path both ways until nothing moves: everything arrives. */
static void settle(void) {
  for (int at = 0; at < 2; at++) {
    new_path(at);
    ends[at].out[1].read = ends[at].out[1].len; /* the old path is gone for good */
  }
  for (int round = 0; round < 64; round++) {
    size_t before = ends[0].out[0].total + ends[1].out[0].total;
    for (int at = 0; at < 2; at++) {
      sl_delivery_timer(ends[at].d);
      on_events(at);
      pump(at, SL_RECORD_MAX_PLAINTEXT, 1 << 16);
      carry(at, 0, PIPE_CAP);
    }
    if (ends[0].out[0].total + ends[1].out[0].total == before) break;
  }
  for (int at = 0; at < 2; at++) {
    end *e = &ends[at];
    for (int i = 0; i < e->nmsgs; i++)
      if (!e->msgs[i].delivered || !e->msgs[i].sent) abort(); /* stuck */
    if (!sl_delivery_idle(e->d) || sl_delivery_held_bytes(e->d)) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (sl_init() != 0) return 0;
  setup();
  bool closed = false;
  for (size_t i = 0; i + 2 < size && !closed; i += 3) {
    int at = data[i] & 1;
    uint8_t a = data[i + 1], b = data[i + 2];
    switch ((data[i] >> 1) % 8) {
    case 0:
      send(at, a, b);
      break;
    case 1:
      pump(at, 64 + (size_t)a * 64, 1 + b % 4);
      break;
    case 2:
      carry(at, 0, 1 + (size_t)a * b);
      break; /* the active path */
    case 3:
      carry(at, 1, 1 + (size_t)a * b);
      break; /* late bytes of the old one */
    case 4:
      new_path(at);
      break;
    case 5:
      sl_delivery_ack_now(ends[at].d);
      on_events(at);
      break;
    case 6:
      sl_delivery_timer(ends[at].d);
      on_events(at);
      break;
    case 7:
      if (a == 0xff && b == 0xff) { /* rarely: close, failing what is held */
        sl_delivery_close(ends[at].d);
        on_events(at);
        closed = true;
      }
      break;
    }
  }
  if (!closed) settle();
  for (int at = 0; at < 2; at++) {
    sl_delivery_free(ends[at].d);
    for (int p = 0; p < PATHS; p++) {
      sl_frame_decoder_free(ends[at].out[p].dec);
      ends[at].out[p].dec = NULL;
    }
  }
  return 0;
}
