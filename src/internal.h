/*
 * internal.h — declarations shared between the core's source files and its
 * tests. Never installed: the public API is include/starling.h alone.
 */
#ifndef STARLING_INTERNAL_H
#define STARLING_INTERNAL_H

#include "starling.h"

#include <stdbool.h>

/* ---------------------------------------------------------- crypto helpers */

#define SL__KEY_BYTES 32
#define SL__HASH_BYTES 32

/* HKDF-SHA256 (RFC 5869). out_len <= 255 * 32. */
int sl__hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
/* X25519; SL_EHS_LOW_ORDER when the result is all zero (low-order point). */
int sl__x25519(uint8_t shared[32], const uint8_t sk[32], const uint8_t pk[32]);
/* Base-point multiplications (base_mult.c): libsodium's natively; in the
 * browser module the _small forms, which need no precomputed table. */
void sl__x25519_base(uint8_t pk[32], const uint8_t sk[32]);
/* X25519: 0, or -1 for an all-zero result (a small-order pk). */
int sl__x25519_raw(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]);
int sl__x25519_small(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]);
void sl__ed25519_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32]);
void sl__ed25519_sign(uint8_t sig[64], const uint8_t *m, size_t n, const uint8_t sk[64]);
void sl__x25519_base_small(uint8_t pk[32], const uint8_t sk[32]);
void sl__ed25519_keypair_small(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32]);
void sl__ed25519_sign_small(uint8_t sig[64], const uint8_t *m, size_t n, const uint8_t sk[64]);
/* ChaCha20-Poly1305 (IETF) with Noise's nonce layout: 4 zero bytes then the
 * 64-bit counter little-endian. out gets len + 16 bytes. */
void sl__aead_encrypt(const uint8_t key[32], uint64_t n, const uint8_t *ad, size_t ad_len,
                      const uint8_t *pt, size_t len, uint8_t *out);
/* 0 or SL_ESESSION_DECRYPT; out gets len - 16 bytes. */
int sl__aead_decrypt(const uint8_t key[32], uint64_t n, const uint8_t *ad, size_t ad_len,
                     const uint8_t *ct, size_t len, uint8_t *out);

/* ChaCha20-Poly1305 (RFC 8439) with a 12-byte nonce: libsodium natively,
 * a wasm SIMD ChaCha20 + libsodium Poly1305 in the wasm build
 * (chachapoly.c). out gets len + 16 bytes; decrypt returns 0,
 * SL_ESESSION_SHORT or SL_ESESSION_DECRYPT; on failure out holds no plaintext. */
void sl__chachapoly_encrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                            size_t ad_len, const uint8_t *pt, size_t len, uint8_t *out);
int sl__chachapoly_decrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                           size_t ad_len, const uint8_t *ct, size_t len, uint8_t *out);

/* ------------------------------------------------------------ byte order */

static inline void sl__put_u32be(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static inline uint32_t sl__get_u32be(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void sl__put_u64be(uint8_t *p, uint64_t v) {
  sl__put_u32be(p, (uint32_t)(v >> 32));
  sl__put_u32be(p + 4, (uint32_t)v);
}

static inline uint64_t sl__get_u64be(const uint8_t *p) {
  return (uint64_t)sl__get_u32be(p) << 32 | sl__get_u32be(p + 4);
}

/* v in decimal, NUL-terminated (out needs 11 bytes); returns the length.
 * Cheaper than snprintf, which would link printf's float formatting into
 * the browser module. */
static inline size_t sl__utoa(uint32_t v, char *out) {
  char t[10];
  size_t n = 0, k = 0;
  do
    t[n++] = (char)('0' + v % 10);
  while (v /= 10);
  while (n)
    out[k++] = t[--n];
  out[k] = 0;
  return k;
}

/* Makes room for `need` elements of `size` bytes (capacity doubling from
 * 16); returns the array, or NULL (then p is untouched and still owned). */
void *sl__grow(void *p, size_t *cap, size_t need, size_t size);

/* A bounded byte reader: take() hands out the next n bytes, or refuses
 * when fewer are left (and moves nothing). */
typedef struct sl__reader {
  const uint8_t *p, *end;
} sl__reader;

static inline bool sl__take(sl__reader *r, size_t n, const uint8_t **out) {
  if ((size_t)(r->end - r->p) < n) return false;
  *out = r->p;
  r->p += n;
  return true;
}

/* ---------------------------------------------------------------- protobuf */

/* The protobuf wire format (src/core/pb.c). */
enum { SL__PB_VARINT = 0, SL__PB_I64 = 1, SL__PB_LEN = 2, SL__PB_I32 = 5 };

typedef struct sl__pb {
  const uint8_t *p, *end;
} sl__pb;

typedef struct sl__pb_field {
  uint32_t num;
  unsigned wire;
  uint64_t u;           /* VARINT, I64, I32 */
  const uint8_t *bytes; /* LEN: points into the input */
  size_t len;
} sl__pb_field;

static inline sl__pb sl__pb_reader(const uint8_t *p, size_t len) {
  sl__pb r = {p, p + len};
  return r;
}
/* 1 and the next field, 0 at the end, -1 when malformed (truncated,
 * field number 0, a group or reserved wire type, a varint over 64 bits). */
int sl__pb_next(sl__pb *r, sl__pb_field *f);
size_t sl__pb_varint_len(uint64_t v);
/* Encoded size of a LEN field: tag, length, bytes. */
size_t sl__pb_bytes_len(uint32_t field, size_t len);

/* A growable output buffer of at most `max` bytes; the first failure
 * (SL_EBUFSIZE past max, SL_ENOMEM) is latched in `failed` and later
 * writes do nothing. */
typedef struct sl__pbw {
  uint8_t *buf;
  size_t len, cap, max;
  int failed;
} sl__pbw;
void sl__pbw_init(sl__pbw *w, size_t max);
void sl__pbw_free(sl__pbw *w); /* frees the buffer; the writer can be reused */
void sl__pbw_raw(sl__pbw *w, const void *p, size_t len);
void sl__pbw_varint(sl__pbw *w, uint64_t v);
/* Fixed-width big-endian integers (the orderbook's and trades' encodings). */
void sl__pbw_u32be(sl__pbw *w, uint32_t v);
void sl__pbw_u64be(sl__pbw *w, uint64_t v);
void sl__pbw_uint(sl__pbw *w, uint32_t field, uint64_t v);
void sl__pbw_bytes(sl__pbw *w, uint32_t field, const void *p, size_t len);
/* Tag and length of a LEN field whose `len` bytes the caller writes next. */
void sl__pbw_header(sl__pbw *w, uint32_t field, size_t len);

/* ----------------------------------------------------------------- base58 */

/* Bitcoin alphabet. Returns chars written (no NUL) or SL_EBUFSIZE. */
int sl__base58_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Returns bytes written or SL_EPEERID (bad character) / SL_EBUFSIZE. */
int sl__base58_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* ---------------------------------------------------------------- peer ids */

/* Syntax only (length, alphabet, multihash + protobuf prefix), without the
 * curve-point check of sl_peer_id_to_public_key, which costs a scalar
 * multiplication. For ids that are only looked up, never used as keys. */
int sl__peer_id_decode(const char *str, size_t len, uint8_t pk[32]);

/* A peer id's bytes (libp2p's binary form, as in pubsub's `from`): the
 * identity multihash of the protobuf PublicKey, 00 24 08 01 12 20 || key. */
#define SL__PEER_ID_RAW_BYTES 38
void sl__peer_id_raw(const uint8_t pk[32], uint8_t raw[SL__PEER_ID_RAW_BYTES]);
/* The key inside peer id bytes; SL_EPEERID unless they are an Ed25519
 * identity multihash. No curve check. */
int sl__peer_id_raw_key(const uint8_t *raw, size_t len, uint8_t pk[32]);

/* ------------------------------------------------------- noise, raw layer */

/* Noise_XX_25519_ChaChaPoly_SHA256 handshake state with raw payloads, as in
 * the Noise spec. The libp2p layer (handshake.c) builds on it; the Noise
 * test vectors drive it directly. */
typedef struct sl__cipher {
  uint8_t k[32];
  uint64_t n;
  bool has_key;
} sl__cipher;

typedef struct sl__noise_xx {
  uint8_t ck[32];
  uint8_t h[32];
  sl__cipher c;
  uint8_t s_sk[32], s_pk[32];
  uint8_t e_sk[32], e_pk[32];
  uint8_t rs[32], re[32];
  bool initiator;
  bool e_injected;
  int step; /* 0..3: messages processed so far */
} sl__noise_xx;

void sl__noise_init(sl__noise_xx *st, bool initiator, const uint8_t *prologue, size_t prologue_len,
                    const uint8_t static_sk[32]);
/* Test-only hook: use this ephemeral key instead of a random one. */
void sl__noise_set_ephemeral(sl__noise_xx *st, const uint8_t e_sk[32]);
/* 1 if the next handshake step is ours to write. */
bool sl__noise_my_turn(const sl__noise_xx *st);
int sl__noise_write(sl__noise_xx *st, const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                    size_t *out_len);
int sl__noise_read(sl__noise_xx *st, const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
                   size_t *out_len);
/* Splits into (send, recv) keys for this side. */
void sl__noise_split(sl__noise_xx *st, uint8_t send_key[32], uint8_t recv_key[32]);
void sl__noise_wipe(sl__noise_xx *st);

/* --------------------------------------------------- libp2p noise payload */

/* NoiseHandshakePayload: identity_key (1), identity_sig (2), data (3).
 * Encode returns bytes written or SL_EBUFSIZE. */
int sl__payload_encode(const uint8_t pk[32], const uint8_t sig[64], const uint8_t *data,
                       size_t data_len, uint8_t *out, size_t cap);
typedef struct sl__payload {
  uint8_t pk[32];
  uint8_t sig[64];
  const uint8_t *data; /* points into the decoded input */
  size_t data_len;
} sl__payload;
/* Strict on the fields it knows, skips unknown well-formed fields.
 * SL_EHS_PAYLOAD on anything malformed. */
int sl__payload_decode(const uint8_t *in, size_t len, sl__payload *out);

/* ----------------------------------------------------------------- session */

/* Builds a session from raw keys (used by split and by the vector tests). */
int sl__session_new(sl_session **out, const uint8_t send_key[32], const uint8_t recv_key[32]);
/* Test-only: jump the send counter (to exercise nonce exhaustion). */
void sl__session_set_send_nonce(sl_session *s, uint64_t n);

/* ------------------------------------------------------------- fifo */

/* The hub's output queue and the hub session's event queue are arrays used
 * as FIFOs: elements live at buf[head .. head + count). Makes room for one
 * more at the tail: compacts to the front when there is slack, otherwise
 * doubles the capacity (from `initial`). Returns 0, or SL_ENOMEM with the
 * FIFO unchanged (src/core/fifo.c). */
int sl__fifo_reserve(void **buf, size_t elem_size, size_t *head, size_t count, size_t *cap,
                     size_t initial);

/* -------------------------------------------------------------- map */

/* String -> pointer hash map (src/core/map.c). Keys are copied. Keys come
 * from the network (room names, peer and message ids), so the hash is
 * keyed: SipHash-2-4 under hash_key, which the owner draws (the hub from
 * libsodium's randomness, the router from its seed). */
typedef struct sl__map {
  char **keys;
  void **values;
  size_t cap, count, used; /* used counts tombstones too */
  uint8_t hash_key[16];
} sl__map;
void sl__map_init(sl__map *m, const uint8_t hash_key[16]);
void sl__map_free(sl__map *m);
void *sl__map_get(const sl__map *m, const char *key);
int sl__map_put(sl__map *m, const char *key, void *value);
void *sl__map_remove(sl__map *m, const char *key);
/* Shrinks the table to fit its live keys and clears tombstones (frees it
 * all when empty). Not while iterating: the owner calls it after its
 * sweeps. SL_ENOMEM leaves the map as it was. */
int sl__map_compact(sl__map *m);
/* Iterate: pos starts at 0; returns the next pos, or 0 when done. Removing
 * the current entry while iterating is allowed (removal never resizes). */
size_t sl__map_next(const sl__map *m, size_t pos, const char **key, void **value);
/* The longest run of occupied slots (tombstones too): how far a lookup
 * can walk. For tests. */
size_t sl__map_longest_run(const sl__map *m);

/* -------------------------------------------------------------- json */

/* cJSON turns \u0000 into a NUL that silently truncates C strings
 * ("alice\u0000admin" reads as "alice"); JSON containing the escape is
 * refused by every parser of network input. Conservative: an escaped
 * backslash followed by "u0000" is refused too. */
bool sl__json_has_nul_escape(const char *text, size_t len);

/* Parses network JSON strictly (src/core/json.c): the whole input is one
 * value (trailing whitespace only), no member name appears twice in any
 * object, no \u0000 escape. NULL when any of that fails; the caller frees
 * the tree with cJSON_Delete. Every parser of untrusted JSON uses this. */
struct cJSON;
struct cJSON *sl__json_parse_strict(const char *text, size_t len);

/* -------------------------------------------------------------- signaling */

/* sl_signal_build without validating payload_json: for JSON the core
 * produced itself (the hub forwarding a parsed payload). */
int sl__signal_build_trusted(int type, const char *from, const char *to, const char *room,
                             const char *id, const char *payload_json, char **out, size_t *out_len);

/* 1 if room is 1..64 characters of [A-Za-z0-9._:/-]. */
int sl__room_name_valid(const char *room);

/* ---------------------------------------------------------- wasm boundary */

/* See src/wasm/bindings.c. */
int sl_wasm_frame_decode_batch(sl_frame_decoder *dec, const uint8_t *data, size_t len,
                               uint32_t *desc, size_t max_frames, size_t *consumed,
                               size_t *frames_before);
int sl_wasm_path_receive(sl_session *s, sl_frame_decoder *dec, sl_delivery *d, const uint8_t *rec,
                         size_t len, uint8_t *plain);
int sl_wasm_path_write(sl_session *s, sl_delivery *d, uint8_t *plain, uint8_t *out,
                       size_t *out_len);
int sl_wasm_path_goodbye(sl_session *s, sl_delivery *d, uint8_t *plain, uint8_t *out,
                         size_t *out_len);
int sl_wasm_delivery_drain(sl_delivery *d, sl_delivery_event *evs, size_t max);
int sl_wasm_gossip_new(sl_gossip **out, const sl_identity *id, const double *opts, size_t n,
                       double seed, double now_ms);
void sl_wasm_gossip_tick(sl_gossip *g, double now_ms);
double sl_wasm_gossip_score(sl_gossip *g, const char *peer_id);
int sl_wasm_gossip_stats(const sl_gossip *g, double *out);
int sl_wasm_peer_record_seal(const sl_identity *id, double seq, const char *addrs, uint8_t *out,
                             size_t cap, size_t *len);
/* An order as JS reads and writes it: fixed offsets, 64-bit amounts in
 * memory (JS turns them into BigInt; the module itself has no BigInt at
 * its boundary), strings NUL-terminated. js-glue/orderbook.js mirrors it. */
typedef struct sl_wasm_order {
  uint64_t price, amount, min_fill, created_ms, expires_ms, seq, remaining; /* 0 .. 56 */
  int32_t kind, side;                                                       /* 56, 60 */
  uint8_t id[32], maker[32], target[32];                                    /* 64, 96, 128 */
  char base[SL_ORDER_ASSET_MAX + 1], quote[SL_ORDER_ASSET_MAX + 1];         /* 160, 173 */
  uint16_t data_len;                                                        /* 186 */
  uint8_t data[SL_ORDER_DATA_MAX];                                          /* 188 */
} sl_wasm_order;

int sl_wasm_order_seal(const sl_identity *id, sl_wasm_order *v, uint8_t *out, size_t cap,
                       size_t *len);
int sl_wasm_order_open(const uint8_t *msg, size_t len, sl_wasm_order *v);
int sl_wasm_book_get(const sl_book *b, const uint8_t *id, sl_wasm_order *v);
int sl_wasm_book_receive(sl_book *b, const uint8_t *msg, size_t len, double now_ms, double skew_ms,
                         int synced, uint8_t *id);
void sl_wasm_book_tick(sl_book *b, double now_ms);
void sl_wasm_book_keepalive(sl_book *b, const uint8_t *key, double now_ms);
int sl_wasm_book_new(sl_book **out, const char *base, const char *quote, const double *limits);
size_t sl_wasm_book_match(const sl_book *b, int taker_side, const uint64_t *amounts,
                          const uint8_t *taker, sl_book_fill *out, size_t cap);
int sl_wasm_book_filled(sl_book *b, const uint8_t *id, const uint64_t *amount);
int sl_wasm_booksync_receive(sl_booksync *s, int type, const uint8_t *p, size_t len, double now_ms);
void sl_wasm_booksync_stats(const sl_booksync *s, double *out);
int sl_wasm_trade_propose(sl_trade **out, const double *cfg, const sl_identity *me,
                          const uint8_t *order_msg, size_t order_len, const uint64_t *amount,
                          const uint8_t *script, size_t script_len, double value,
                          const uint8_t *nonce, double now_ms);
int sl_wasm_trade_incoming(sl_trade **out, const double *cfg, const sl_identity *me,
                           const uint8_t *order_msg, size_t order_len, const uint64_t *remaining,
                           const uint8_t *msg, size_t len, double now_ms);
int sl_wasm_trade_load(sl_trade **out, const double *cfg, const sl_identity *me, const uint8_t *in,
                       size_t len);
int sl_wasm_trade_accept(sl_trade *t, const uint8_t *script, size_t len, double value,
                         double now_ms);
int sl_wasm_trade_end(sl_trade *t, int reject, const char *text, double now_ms);
int sl_wasm_trade_give_psbt(sl_trade *t, const uint8_t *p, size_t len, double now_ms);
int sl_wasm_trade_give_txid(sl_trade *t, const uint8_t *txid, double now_ms);
int sl_wasm_trade_receive(sl_trade *t, const uint8_t *msg, size_t len, double now_ms);
double sl_wasm_trade_tick(sl_trade *t, double now_ms);
void sl_wasm_trade_resend(sl_trade *t, double now_ms);
void sl_wasm_trade_info(const sl_trade *t, double *nums, uint8_t *bytes);
int sl_wasm_psbt_pays(const sl_psbt *p, const uint8_t *script, size_t len, double value);
int sl_wasm_tip_seal(const sl_identity *id, const char *meta, size_t meta_len, const uint8_t *sig,
                     size_t sig_len, double now_ms, uint8_t **out, size_t *len);
int sl_wasm_tips_receive(sl_tips *t, const uint8_t *msg, size_t len, double now_ms, sl_tip *out);

/* ------------------------------------------------------------- orders */

/* Decodes an order message and checks its shape, without the signature
 * (the fuzzer's way in); *body gets the signed part's length. */
int sl__order_decode(const uint8_t *in, size_t len, sl_order *o, size_t *body);
/* The canonical body of o; returns its length. */
size_t sl__order_body(const sl_order *o, uint8_t out[SL_ORDER_MAX_BYTES]);
/* sl_order_check_time for a message that arrives by sync: it may be old
 * (created any time before now + skew) but must not have expired. */
int sl__order_check_age(const sl_order *o, uint64_t now_ms, uint64_t skew_ms);
/* sl_book_apply for a message that arrived by sync: no maker rate limit
 * (the caps on orders still hold). */
int sl__book_apply_synced(sl_book *b, const sl_order *o, const uint8_t *wire, size_t wire_len,
                          uint64_t now_ms);
/* A book's asset ids. */
const char *sl__book_base(const sl_book *b);
const char *sl__book_quote(const sl_book *b);
/* Sync-set order: timestamp, then id. */
int sl__neg_item_cmp(const void *a, const void *b);

#endif /* STARLING_INTERNAL_H */
