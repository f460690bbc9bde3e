/* rpc.c — libp2p pubsub's RPC protobuf (GossipSub v1.0–v1.2), decoded
 * strictly and without copies:
 *
 *   RPC            { repeated SubOpts subscriptions = 1; repeated Message publish = 2;
 *                    optional ControlMessage control = 3; }
 *   SubOpts        { optional bool subscribe = 1; optional string topicid = 2; }
 *   Message        { optional bytes from = 1; optional bytes data = 2; optional bytes seqno = 3;
 *                    required string topic = 4; optional bytes signature = 5; optional bytes key =
 * 6; } ControlMessage { repeated ControlIHave ihave = 1; repeated ControlIWant iwant = 2; repeated
 * ControlGraft graft = 3; repeated ControlPrune prune = 4; repeated ControlIDontWant idontwant = 5;
 * } ControlIHave   { optional string topicID = 1; repeated bytes messageIDs = 2; } ControlIWant /
 * ControlIDontWant { repeated bytes messageIDs = 1; } ControlGraft   { optional string topicID = 1;
 * } ControlPrune   { optional string topicID = 1; repeated PeerInfo peers = 2; optional uint64
 * backoff = 3; } PeerInfo       { optional bytes peerID = 1; optional bytes signedPeerRecord = 2; }
 *
 * Decoding is two passes over the input: the first checks every field's
 * wire type and every nested length and counts the entries, the second
 * fills arrays allocated once at the exact size. Unknown fields are
 * skipped, as protobuf requires, so newer peers (v1.3's extensions) still
 * interoperate. Counts are capped (sl__rpc_limits) so that a hostile RPC
 * costs bounded memory however it is shaped. */
#include "gossip.h"

#include <stdlib.h>
#include <string.h>

const sl__rpc_limits sl__rpc_default_limits = {
    .max_subscriptions = 1024,
    .max_messages = 1024,
    .max_ids = 10000,
    .max_topic_len = SL_GOSSIP_MAX_TOPIC,
    .max_id_len = SL_GOSSIP_MAX_ID,
    .max_px = 64,
};

typedef struct counts {
  size_t subs, msgs, ihave, ihave_ids, iwant_ids, idontwant_ids, graft, prune, px;
} counts;

/* A topic name: 1..max bytes, no NUL (topics are C strings inside). */
static bool topic_ok(const sl__pb_field *f, const sl__rpc_limits *lim) {
  return f->len >= 1 && f->len <= lim->max_topic_len && !memchr(f->bytes, 0, f->len);
}

/* A known field (bit `num` of `known`) must have its wire type: VARINT
 * where bit `num` of `varints` is set, LEN otherwise. Unknown fields may
 * have any wire type and are skipped. */
static int expect_wire(const sl__pb_field *f, uint32_t known, uint32_t varints) {
  if (f->num >= 32 || !((known >> f->num) & 1)) return 0;
  unsigned want = (varints >> f->num) & 1 ? SL__PB_VARINT : SL__PB_LEN;
  return f->wire != want ? -1 : 0;
}
#define F(n) (1u << (n))

/* Each nested decoder runs in count mode (out == NULL) or fill mode. */

static int sub_opts(const sl__pb_field *in, const sl__rpc_limits *lim, sl__rpc_sub *out) {
  sl__pb r = sl__pb_reader(in->bytes, in->len);
  sl__pb_field f;
  int rc;
  bool topic = false, subscribe = false;
  sl__bytes name = {0};
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1) | F(2), F(1))) return SL_EGOSSIP_RPC;
    if (f.num == 1) subscribe = f.u != 0;
    if (f.num == 2) {
      if (!topic_ok(&f, lim)) return SL_EGOSSIP_TOPIC;
      topic = true;
      name = (sl__bytes){f.bytes, f.len};
    }
  }
  if (rc < 0) return SL_EGOSSIP_RPC;
  if (!topic) return SL_EGOSSIP_TOPIC;
  if (out) *out = (sl__rpc_sub){subscribe, name};
  return 0;
}

int sl__rpc_message_decode(const uint8_t *p, size_t len, const sl__rpc_limits *lim,
                           sl__rpc_msg *out) {
  sl__pb r = sl__pb_reader(p, len);
  sl__pb_field f;
  int rc;
  sl__rpc_msg m;
  if (!lim) lim = &sl__rpc_default_limits;
  memset(&m, 0, sizeof m);
  m.raw = (sl__bytes){p, len};
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1) | F(2) | F(3) | F(4) | F(5) | F(6), 0)) return SL_EGOSSIP_RPC;
    sl__bytes b = {f.bytes, f.len};
    switch (f.num) {
    case 1:
      m.from = b, m.has |= SL__HAS_FROM;
      break;
    case 2:
      m.data = b, m.has |= SL__HAS_DATA;
      break;
    case 3:
      m.seqno = b, m.has |= SL__HAS_SEQNO;
      break;
    case 4:
      if (!topic_ok(&f, lim)) return SL_EGOSSIP_TOPIC;
      m.topic = b, m.has |= SL__HAS_TOPIC;
      break;
    case 5:
      m.signature = b, m.has |= SL__HAS_SIGNATURE;
      break;
    case 6:
      m.key = b, m.has |= SL__HAS_KEY;
      break;
    default:
      break;
    }
  }
  if (rc < 0) return SL_EGOSSIP_RPC;
  if (!(m.has & SL__HAS_TOPIC)) return SL_EGOSSIP_TOPIC;
  if (out) *out = m;
  return 0;
}

/* An id list (IWANT, IDONTWANT: field 1; IHAVE: field 2). */
static int id_field(const sl__pb_field *f, const sl__rpc_limits *lim, size_t *n, sl__bytes *ids) {
  if (f->len == 0 || f->len > lim->max_id_len) return SL_EGOSSIP_RPC;
  if (ids) ids[*n] = (sl__bytes){f->bytes, f->len};
  ++*n;
  return 0;
}

static int ihave(const sl__pb_field *in, const sl__rpc_limits *lim, counts *c, sl__rpc *out) {
  sl__pb r = sl__pb_reader(in->bytes, in->len);
  sl__pb_field f;
  int rc;
  sl__rpc_ihave h = {.first = c->ihave_ids};
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1) | F(2), 0)) return SL_EGOSSIP_RPC;
    if (f.num == 1) {
      if (!topic_ok(&f, lim)) return SL_EGOSSIP_TOPIC;
      h.topic = (sl__bytes){f.bytes, f.len};
    } else if (f.num == 2) {
      if ((rc = id_field(&f, lim, &c->ihave_ids, out ? out->ihave_ids : NULL))) return rc;
    }
  }
  if (rc < 0) return SL_EGOSSIP_RPC;
  if (!h.topic.len) return SL_EGOSSIP_TOPIC;
  h.count = c->ihave_ids - h.first;
  if (out) out->ihave[c->ihave] = h;
  c->ihave++;
  return 0;
}

static int id_list(const sl__pb_field *in, const sl__rpc_limits *lim, size_t *n, sl__bytes *ids) {
  sl__pb r = sl__pb_reader(in->bytes, in->len);
  sl__pb_field f;
  int rc;
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1), 0)) return SL_EGOSSIP_RPC;
    if (f.num == 1 && (rc = id_field(&f, lim, n, ids))) return rc;
  }
  return rc < 0 ? SL_EGOSSIP_RPC : 0;
}

static int graft(const sl__pb_field *in, const sl__rpc_limits *lim, counts *c, sl__rpc *out) {
  sl__pb r = sl__pb_reader(in->bytes, in->len);
  sl__pb_field f;
  int rc;
  sl__bytes topic = {0};
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1), 0)) return SL_EGOSSIP_RPC;
    if (f.num == 1) {
      if (!topic_ok(&f, lim)) return SL_EGOSSIP_TOPIC;
      topic = (sl__bytes){f.bytes, f.len};
    }
  }
  if (rc < 0) return SL_EGOSSIP_RPC;
  if (!topic.len) return SL_EGOSSIP_TOPIC;
  if (out) out->graft[c->graft] = topic;
  c->graft++;
  return 0;
}

static int peer_info(const sl__pb_field *in, sl__rpc_px *out) {
  sl__pb r = sl__pb_reader(in->bytes, in->len);
  sl__pb_field f;
  int rc;
  sl__rpc_px px = {{0}, {0}};
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1) | F(2), 0)) return SL_EGOSSIP_RPC;
    if (f.num == 1) px.peer = (sl__bytes){f.bytes, f.len};
    if (f.num == 2) px.record = (sl__bytes){f.bytes, f.len};
  }
  if (rc < 0 || !px.peer.len || px.peer.len > 64) return SL_EGOSSIP_RPC;
  if (out) *out = px;
  return 0;
}

static int prune(const sl__pb_field *in, const sl__rpc_limits *lim, counts *c, sl__rpc *out) {
  sl__pb r = sl__pb_reader(in->bytes, in->len);
  sl__pb_field f;
  int rc;
  sl__rpc_prune p = {.first_px = c->px};
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1) | F(2) | F(3), F(3))) return SL_EGOSSIP_RPC;
    if (f.num == 1) {
      if (!topic_ok(&f, lim)) return SL_EGOSSIP_TOPIC;
      p.topic = (sl__bytes){f.bytes, f.len};
    } else if (f.num == 2) {
      if ((rc = peer_info(&f, out ? &out->px[c->px] : NULL))) return rc;
      c->px++;
    } else if (f.num == 3) {
      p.backoff_s = f.u;
      p.has_backoff = true;
    }
  }
  if (rc < 0) return SL_EGOSSIP_RPC;
  if (!p.topic.len) return SL_EGOSSIP_TOPIC;
  p.n_px = c->px - p.first_px;
  if (out) out->prune[c->prune] = p;
  c->prune++;
  return 0;
}

static int control(const sl__pb_field *in, const sl__rpc_limits *lim, counts *c, sl__rpc *out) {
  sl__pb r = sl__pb_reader(in->bytes, in->len);
  sl__pb_field f;
  int rc;
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1) | F(2) | F(3) | F(4) | F(5), 0)) return SL_EGOSSIP_RPC;
    switch (f.num) {
    case 1:
      rc = ihave(&f, lim, c, out);
      break;
    case 2:
      rc = id_list(&f, lim, &c->iwant_ids, out ? out->iwant_ids : NULL);
      break;
    case 3:
      rc = graft(&f, lim, c, out);
      break;
    case 4:
      rc = prune(&f, lim, c, out);
      break;
    case 5:
      rc = id_list(&f, lim, &c->idontwant_ids, out ? out->idontwant_ids : NULL);
      break;
    default:
      rc = 0;
      break;
    }
    if (rc) return rc;
  }
  return rc < 0 ? SL_EGOSSIP_RPC : 0;
}

/* One pass: counts into c, and fills out when it is not NULL. */
static int walk(const uint8_t *buf, size_t len, const sl__rpc_limits *lim, counts *c,
                sl__rpc *out) {
  sl__pb r = sl__pb_reader(buf, len);
  sl__pb_field f;
  int rc;
  memset(c, 0, sizeof *c);
  while ((rc = sl__pb_next(&r, &f)) == 1) {
    if (expect_wire(&f, F(1) | F(2) | F(3), 0)) return SL_EGOSSIP_RPC;
    switch (f.num) {
    case 1:
      if ((rc = sub_opts(&f, lim, out ? &out->subs[c->subs] : NULL))) return rc;
      if (++c->subs > lim->max_subscriptions) return SL_EGOSSIP_LIMIT;
      break;
    case 2:
      if ((rc = sl__rpc_message_decode(f.bytes, f.len, lim, out ? &out->msgs[c->msgs] : NULL)))
        return rc;
      if (++c->msgs > lim->max_messages) return SL_EGOSSIP_LIMIT;
      break;
    case 3:
      if ((rc = control(&f, lim, c, out))) return rc;
      break;
    default:
      break;
    }
    if (c->ihave_ids + c->iwant_ids + c->idontwant_ids > lim->max_ids || c->px > lim->max_px ||
        c->ihave + c->graft + c->prune > lim->max_ids)
      return SL_EGOSSIP_LIMIT;
  }
  return rc < 0 ? SL_EGOSSIP_RPC : 0;
}

int sl__rpc_decode(const uint8_t *buf, size_t len, const sl__rpc_limits *lim, sl__rpc *out) {
  memset(out, 0, sizeof *out);
  if (!lim) lim = &sl__rpc_default_limits;
  counts c;
  int rc = walk(buf, len, lim, &c, NULL);
  if (rc) return rc;
  /* One block for every array; each part is aligned for its element type
   * because the sizes below are multiples of the pointer size. */
  size_t sizes[] = {c.subs * sizeof(sl__rpc_sub),    c.msgs * sizeof(sl__rpc_msg),
                    c.ihave * sizeof(sl__rpc_ihave), c.ihave_ids * sizeof(sl__bytes),
                    c.iwant_ids * sizeof(sl__bytes), c.idontwant_ids * sizeof(sl__bytes),
                    c.graft * sizeof(sl__bytes),     c.prune * sizeof(sl__rpc_prune),
                    c.px * sizeof(sl__rpc_px)};
  size_t total = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    total += sizes[i];
  uint8_t *block = NULL;
  if (total && !(block = malloc(total))) return SL_ENOMEM;
  uint8_t *at = block;
  out->block = block;
#define CARVE(field, i)                                                                            \
  out->field = NULL;                                                                               \
  if (sizes[i]) {                                                                                  \
    out->field = (void *)at;                                                                       \
    at += sizes[i];                                                                                \
  }
  CARVE(subs, 0);
  CARVE(msgs, 1);
  CARVE(ihave, 2);
  CARVE(ihave_ids, 3);
  CARVE(iwant_ids, 4);
  CARVE(idontwant_ids, 5);
  CARVE(graft, 6);
  CARVE(prune, 7);
  CARVE(px, 8);
#undef CARVE
  walk(buf, len, lim, &c, out); /* cannot fail: the same input passed above */
  out->n_subs = c.subs;
  out->n_msgs = c.msgs;
  out->n_ihave = c.ihave;
  out->n_iwant = c.iwant_ids;
  out->n_idontwant = c.idontwant_ids;
  out->n_graft = c.graft;
  out->n_prune = c.prune;
  return 0;
}

void sl__rpc_free(sl__rpc *rpc) {
  free(rpc->block);
  memset(rpc, 0, sizeof *rpc);
}

/* ------------------------------------------------------------- encoding */

size_t sl__rpc_message_len(const sl__rpc_msg *m, bool with_signature) {
  size_t n = 0;
  if (m->has & SL__HAS_FROM) n += sl__pb_bytes_len(1, m->from.len);
  if (m->has & SL__HAS_DATA) n += sl__pb_bytes_len(2, m->data.len);
  if (m->has & SL__HAS_SEQNO) n += sl__pb_bytes_len(3, m->seqno.len);
  n += sl__pb_bytes_len(4, m->topic.len);
  if (with_signature && (m->has & SL__HAS_SIGNATURE)) n += sl__pb_bytes_len(5, m->signature.len);
  if (with_signature && (m->has & SL__HAS_KEY)) n += sl__pb_bytes_len(6, m->key.len);
  return n;
}

void sl__rpc_message_write(sl__pbw *w, const sl__rpc_msg *m, bool with_signature) {
  if (m->has & SL__HAS_FROM) sl__pbw_bytes(w, 1, m->from.p, m->from.len);
  if (m->has & SL__HAS_DATA) sl__pbw_bytes(w, 2, m->data.p, m->data.len);
  if (m->has & SL__HAS_SEQNO) sl__pbw_bytes(w, 3, m->seqno.p, m->seqno.len);
  sl__pbw_bytes(w, 4, m->topic.p, m->topic.len);
  if (with_signature && (m->has & SL__HAS_SIGNATURE))
    sl__pbw_bytes(w, 5, m->signature.p, m->signature.len);
  if (with_signature && (m->has & SL__HAS_KEY)) sl__pbw_bytes(w, 6, m->key.p, m->key.len);
}
