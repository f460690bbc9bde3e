/*
 * gossip.h — what the gossip module's files share: the decoded RPC view
 * (rpc.c), message signing and ids (message.c), peer scoring (score.c) and
 * the router's state (router.c). Never installed.
 */
#ifndef STARLING_GOSSIP_H
#define STARLING_GOSSIP_H

#include "internal.h"

/* --------------------------------------------------------------- the RPC */

typedef struct sl__bytes {
  const uint8_t *p;
  size_t len;
} sl__bytes;

enum {
  SL__HAS_FROM = 1,
  SL__HAS_DATA = 2,
  SL__HAS_SEQNO = 4,
  SL__HAS_TOPIC = 8,
  SL__HAS_SIGNATURE = 16,
  SL__HAS_KEY = 32,
};

typedef struct sl__rpc_sub {
  bool subscribe;
  sl__bytes topic;
} sl__rpc_sub;

/* A Message as received: fields point into the RPC; `has` says which were
 * present (an empty `data` is not an absent one, and the signature covers
 * the difference). */
typedef struct sl__rpc_msg {
  sl__bytes from, data, seqno, topic, signature, key;
  sl__bytes raw; /* the whole encoded Message */
  unsigned has;
} sl__rpc_msg;

typedef struct sl__rpc_ihave {
  sl__bytes topic;
  size_t first, count; /* into ihave_ids */
} sl__rpc_ihave;

typedef struct sl__rpc_px {
  sl__bytes peer, record; /* peer id bytes; a signed peer record Envelope, maybe empty */
} sl__rpc_px;

typedef struct sl__rpc_prune {
  sl__bytes topic;
  size_t first_px, n_px; /* into px */
  uint64_t backoff_s;
  bool has_backoff;
} sl__rpc_prune;

typedef struct sl__rpc {
  sl__rpc_sub *subs;
  sl__rpc_msg *msgs;
  sl__rpc_ihave *ihave;
  sl__bytes *ihave_ids, *iwant_ids, *idontwant_ids, *graft;
  sl__rpc_prune *prune;
  sl__rpc_px *px;
  size_t n_subs, n_msgs, n_ihave, n_iwant, n_idontwant, n_graft, n_prune;
  void *block; /* the one allocation behind every array */
} sl__rpc;

typedef struct sl__rpc_limits {
  size_t max_subscriptions, max_messages, max_ids, max_topic_len, max_id_len, max_px;
} sl__rpc_limits;
extern const sl__rpc_limits sl__rpc_default_limits;

/* 0, or SL_EGOSSIP_RPC (malformed), SL_EGOSSIP_TOPIC (a topic empty, too
 * long or with a NUL), SL_EGOSSIP_LIMIT (past a count limit), SL_ENOMEM.
 * The view points into buf; free with sl__rpc_free. lim NULL = defaults. */
int sl__rpc_decode(const uint8_t *buf, size_t len, const sl__rpc_limits *lim, sl__rpc *out);
void sl__rpc_free(sl__rpc *rpc);
int sl__rpc_message_decode(const uint8_t *p, size_t len, const sl__rpc_limits *lim,
                           sl__rpc_msg *out);
/* A Message's canonical encoding (fields in number order, absent fields
 * omitted): with the signature and key for the wire, without them for the
 * bytes a signature covers. */
size_t sl__rpc_message_len(const sl__rpc_msg *m, bool with_signature);
void sl__rpc_message_write(sl__pbw *w, const sl__rpc_msg *m, bool with_signature);

/* ------------------------------------------------------ signed messages */

/* StrictSign: from, an 8-byte seqno and a signature must be present, key
 * absent or equal to from's key, and the signature verify over
 * "libp2p-pubsub:" || the Message without signature and key. 0 or
 * SL_EGOSSIP_SIGNATURE; pk gets the author's key. */
int sl__gossip_verify(const sl__rpc_msg *m, uint8_t pk[32]);
/* Signs m (from, seqno, topic and data set) into sig. */
int sl__gossip_sign(const sl_identity *id, const sl__rpc_msg *m, uint8_t sig[64]);

/* from || seqno, or SHA-256(data) in content mode. out holds
 * SL_GOSSIP_MAX_ID bytes; returns the id's length. */
size_t sl__gossip_message_id(const sl__rpc_msg *m, bool content_id, uint8_t *out);

/* ------------------------------------------------------------ the router */

#define SL__NONE UINT32_MAX

/* A growable array of peer or topic indices. */
typedef struct sl__idx {
  uint32_t *v;
  size_t n, cap;
} sl__idx;

/* A peer's record in one topic, for scoring (v1.1 P1-P4). */
typedef struct sl__topic_stats {
  uint32_t topic;
  bool in_mesh, mesh_active;
  uint64_t graft_ms;
  double first_deliveries, mesh_deliveries, mesh_failure, invalid;
} sl__topic_stats;

typedef struct sl__backoff {
  uint32_t topic;
  uint64_t until_ms;
} sl__backoff;

typedef struct sl__peer {
  char id[SL_PEER_ID_BYTES];
  uint8_t raw_id[SL__PEER_ID_RAW_BYTES]; /* its id as bytes, for peer exchange */
  bool used, connected, outbound, graylisted;
  uint64_t gone_ms; /* when it disconnected: the score is kept retain_score_ms */
  sl__idx topics;   /* topics it subscribes to */
  sl__topic_stats *stats;
  size_t n_stats, cap_stats;
  sl__backoff *backoff;
  size_t n_backoff, cap_backoff;
  double behaviour_penalty, app_score;
  uint8_t *record; /* its signed peer record, offered in peer exchange */
  size_t record_len;
  /* per heartbeat */
  unsigned ihave_in, iasked, idontwant_in, refused_events;
  sl__map dont_send; /* IDONTWANT ids (hex) -> heartbeat they arrived */
  /* the next RPC to it, in parts */
  sl__pbw out_subs, out_msgs, out_ctl;
  bool dirty;
} sl__peer;

typedef struct sl__topic {
  char *name;
  bool subscribed, validate, has_params;
  size_t n_cached;         /* messages in the cache that name it: it is not reused while any do */
  uint64_t fanout_last_ms; /* 0: no fanout */
  sl__idx peers, mesh, fanout;
  sl_gossip_topic_params params;
} sl__topic;

/* A message in the cache: kept mcache_len heartbeats, served on IWANT. */
typedef struct sl__cached {
  char *key; /* hex id */
  uint8_t id[SL_GOSSIP_MAX_ID];
  size_t id_len;
  uint32_t topic;
  uint8_t *msg; /* the encoded Message, signature included */
  size_t msg_len;
  size_t data_off, data_len; /* its data field, inside msg */
  sl__idx served;            /* peer indices, once per retransmission on IWANT */
  sl__idx advertised;        /* peers we sent an IHAVE for it */
} sl__cached;

/* A message we saw: kept seen_ttl_ms. */
enum { SL__SEEN_PENDING, SL__SEEN_ACCEPTED, SL__SEEN_REJECTED, SL__SEEN_IGNORED };
typedef struct sl__seen {
  char *key;
  uint64_t first_ms, expire_ms;
  int state;
  struct sl__pending *pending; /* while state is PENDING */
  struct sl__seen *next;       /* expiry order */
} sl__seen;

/* A message waiting for the application's validator. */
typedef struct sl__pending {
  uint32_t handle;
  uint64_t deadline_ms;
  sl__seen *seen;
  sl__cached *msg; /* moved into the cache on accept */
  uint32_t source;
  sl__idx also_from; /* peers that sent it again meanwhile */
  char author[SL_PEER_ID_BYTES];
} sl__pending;

/* We asked a peer for a message after its IHAVE. */
typedef struct sl__promise {
  uint32_t peer;
  uint64_t deadline_ms;
} sl__promise;

typedef struct sl__event {
  sl_gossip_event ev;
  void *owned, *owned_data;
} sl__event;

struct sl_gossip {
  const sl_identity *id;
  uint8_t raw_id[SL__PEER_ID_RAW_BYTES];
  sl_gossip_params p;
  uint64_t rng, now_ms, next_heartbeat_ms, heartbeats, seqno;
  sl__peer *peers;
  size_t n_peers;
  sl__map peer_index; /* peer id -> index + 1 */
  sl__topic *topics;
  size_t n_topics;
  sl__map topic_index;   /* name -> index + 1 */
  sl__map cache;         /* hex id -> sl__cached */
  sl__cached ***windows; /* mcache_len windows of cached pointers */
  size_t *window_n, *window_cap;
  sl__map seen; /* hex id -> sl__seen */
  sl__seen *seen_head, *seen_tail;
  sl__map pending; /* handle (decimal) -> sl__pending */
  uint32_t next_handle;
  sl__map promises;          /* hex id -> sl__promise */
  uint8_t dont_send_key[16]; /* the hash key of every peer's dont_send */
  sl__event *events;
  size_t ev_head, ev_count, ev_cap;
  void *ev_last, *ev_last_data; /* the buffers of the event handed out last */
  sl__idx dirty;
  sl_gossip_stats stats;
  int failed; /* a latched SL_ENOMEM */
};

/* score.c */
double sl__score(const sl_gossip *g, const sl__peer *p);
void sl__score_decay(sl_gossip *g);
sl__topic_stats *sl__stats_get(sl_gossip *g, sl__peer *p, uint32_t topic, bool create);
const sl_gossip_topic_params *sl__topic_params(const sl_gossip *g, uint32_t topic);

#endif /* STARLING_GOSSIP_H */
