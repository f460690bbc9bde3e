/*
 * starling.h — the one public header of Starling's C core.
 *
 * Conventions (the same for every function below):
 *  - Fallible calls return 0 on success or a negative SL_E* code; results go
 *    to out-params. sl_strerror() and sl_errname() describe a code.
 *  - Objects come in sl_x_new / sl_x_free pairs. The caller owns what a _new
 *    function returns and frees it with the matching _free; freeing NULL is a
 *    no-op. Secrets are wiped before memory is released.
 *  - Buffers are caller-provided with an explicit capacity; a too-small
 *    buffer is SL_EBUFSIZE and nothing is written past the capacity.
 *  - Call sl_init() once before anything else (it is idempotent).
 *  - Input from the network never crashes or aborts: it yields an error code.
 */
#ifndef STARLING_H
#define STARLING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SL_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SL_MUST_CHECK
#endif

/* ------------------------------------------------------------------ errors */

/* Stable codes: never renumbered, so they can cross the wasm boundary and be
 * logged. Grouped by layer. */
#define SL_OK 0
#define SL_EINVAL -1                /* bad argument from the caller */
#define SL_ENOMEM -2                /* allocation failed */
#define SL_EBUFSIZE -3              /* output buffer too small */
#define SL_ECRYPTO -4               /* libsodium failed to initialise */
#define SL_ESTATE -5                /* call not valid in the object's current state */
#define SL_EPEERID -10              /* malformed peer id string */
#define SL_EPUBKEY -11              /* not a valid Ed25519 public key */
#define SL_EFRAME_EMPTY -20         /* frame length field is 0 (no type byte) */
#define SL_EFRAME_TOO_LARGE -21     /* frame payload above the decoder's cap */
#define SL_EFRAME_TYPE -22          /* unknown frame type */
#define SL_EFRAME_FAILED -23        /* decoder already failed; stream is unusable */
#define SL_EHS_SHORT -30            /* handshake message too short */
#define SL_EHS_DECRYPT -31          /* handshake message failed authentication */
#define SL_EHS_LOW_ORDER -32        /* peer sent a low-order X25519 point */
#define SL_EHS_PAYLOAD -33          /* malformed NoiseHandshakePayload */
#define SL_EHS_SIGNATURE -34        /* identity signature over the static key is bad */
#define SL_EHS_TOO_LARGE -35        /* handshake message above 65535 bytes */
#define SL_EHS_FAILED -36           /* handshake already failed; start a new one */
#define SL_EHS_PEER -37             /* remote identity is not the expected peer */
#define SL_ESESSION_DECRYPT -40     /* record failed authentication (tamper, replay, reorder) */
#define SL_ESESSION_SHORT -41       /* record shorter than its 16-byte tag */
#define SL_ESESSION_TOO_LARGE -42   /* record or plaintext above the record cap */
#define SL_ESESSION_NONCE -43       /* nonce counter exhausted: rekey with a new handshake */
#define SL_ESESSION_FAILED -44      /* session already failed; start a new one */
#define SL_EJWT_TOO_LARGE -50       /* token above the configured size cap */
#define SL_EJWT_MALFORMED -51       /* not three base64url parts of JSON objects */
#define SL_EJWT_ALG -52             /* alg is not exactly the configured algorithm */
#define SL_EJWT_SIGNATURE -53       /* signature does not verify */
#define SL_EJWT_EXPIRED -54         /* exp missing or in the past (beyond the skew) */
#define SL_EJWT_NOT_YET_VALID -55   /* nbf or iat in the future (beyond the skew) */
#define SL_EJWT_AUDIENCE -56        /* aud does not name the configured audience */
#define SL_EJWT_ISSUER -57          /* iss is not the configured issuer */
#define SL_EJWT_CLAIMS -58          /* userId or publicKey missing or malformed */
#define SL_ESIG_TOO_LARGE -60       /* signaling message above the size cap */
#define SL_ESIG_MALFORMED -61       /* not a JSON object of the signaling shape */
#define SL_ESIG_TYPE -62            /* unknown or misplaced message type */
#define SL_ESIG_FIELD -63           /* a field is missing, of the wrong type or malformed */
#define SL_EURL -70                 /* hub URL is not ws:// or wss:// with a host */
#define SL_EINSECURE -71            /* ws:// to a host other than loopback without allow_insecure */
#define SL_EHUB_AUTH -72            /* the hub refused authentication (see the error event) */
#define SL_EQUEUE_FULL -80          /* a link's send queue is at its byte cap */
#define SL_EGOSSIP_RPC -90          /* malformed pubsub RPC protobuf */
#define SL_EGOSSIP_TOPIC -91        /* topic empty, above 256 bytes or with a NUL */
#define SL_EGOSSIP_LIMIT -92        /* RPC or message past a count or size limit */
#define SL_EGOSSIP_SIGNATURE -93    /* message unsigned, badly signed, or not StrictSign */
#define SL_EGOSSIP_REPLAY -94       /* message older than its author's sequence window */
#define SL_EGOSSIP_INVALID -95      /* the topic's validator rejected the message */
#define SL_EGOSSIP_UNSUBSCRIBED -96 /* message on a topic this router is not subscribed to */
#define SL_EGOSSIP_NO_PEERS -97     /* publish: no peer could receive the message */
#define SL_EGOSSIP_UNKNOWN_PEER -98 /* no such peer was added */
#define SL_EGOSSIP_GRAYLISTED -99   /* the peer's score is below the graylist threshold */
#define SL_EMULTIADDR -100          /* not a multiaddr, or a protocol we do not read */
#define SL_EDISCOVERY -101          /* malformed peer discovery announcement */
#define SL_EPEER_RECORD -102        /* signed peer record malformed or badly signed */
#define SL_EORDER_MALFORMED -110    /* not an order message in the canonical encoding */
#define SL_EORDER_SIGNATURE -111    /* order message not signed by its maker */
#define SL_EORDER_PAIR -112         /* asset ids empty, too long, not [A-Z0-9] or equal */
#define SL_EORDER_RANGE -113        /* price or amount zero, min fill above the amount */
#define SL_EORDER_EXPIRED -114      /* expired, or expiry more than 24 h after creation */
#define SL_EORDER_SKEW -115         /* created beyond the clock skew window from now */
#define SL_EORDER_LIMIT -116        /* past a maker's cap (open orders, messages a second) */
#define SL_EORDER_STALE -117        /* sequence not above the maker's last, or a replay */
#define SL_EORDER_UNKNOWN -118      /* cancel or update of an order not in the book */
#define SL_EORDER_CANCELLED -119    /* the order was cancelled (its tombstone is live) */
#define SL_ESYNC_MALFORMED -120     /* not a Negentropy v1 message (or a bad sync frame) */
#define SL_ESYNC_VERSION -121       /* the other side speaks another Negentropy version */
#define SL_ESYNC_RANGE -122         /* ranges out of order, or past infinity */
#define SL_ESYNC_ROUNDS -123        /* no agreement within the round limit */
#define SL_ESYNC_LIMIT -124         /* message over the size limit */
#define SL_ESYNC_UNASKED -125       /* a sync reply carried an order nobody asked for */
#define SL_EPSBT_MALFORMED -130     /* not a PSBT: magic, lengths, truncated, trailing bytes */
#define SL_EPSBT_DUPLICATE -131     /* a key twice in one map */
#define SL_EPSBT_KEY -132           /* a known key type with key data of the wrong shape */
#define SL_EPSBT_VALUE -133         /* a known key type with a value of the wrong size or range */
#define SL_EPSBT_VERSION -134       /* a field this version forbids, one it requires missing */
#define SL_EPSBT_TX -135            /* the unsigned transaction is malformed or not unsigned */
#define SL_EPSBT_LOCKTIME -136      /* the inputs' lock times cannot all be satisfied */
#define SL_EPSBT_MISMATCH -137      /* two PSBTs of different transactions */
#define SL_ETRADE_MALFORMED -140    /* not a trade message in its encoding */
#define SL_ETRADE_SIGNATURE -141    /* trade message not signed by its sender */
#define SL_ETRADE_ID -142           /* the message names another trade */
#define SL_ETRADE_SENDER -143       /* sent by someone other than the party whose step it is */
#define SL_ETRADE_STEP -144         /* a step the trade is not at (early, or out of place) */
#define SL_ETRADE_STATE -145  /* not allowed in the trade's state (ended, or signed already) */
#define SL_ETRADE_AMOUNT -146 /* amount outside what the order allows, or not the maker's order */
#define SL_ETRADE_EXPIRED                                                                          \
  -147                          /* the order expired, or the proposal is outside the clock window  \
                                 */
#define SL_ETRADE_TERMS -148    /* a PSBT that does not pay the agreed outputs, or changed the tx */
#define SL_ETRADE_TIMEOUT -149  /* a step took longer than its timeout */
#define SL_ETRADE_CANCELED -150 /* a party cancelled the trade */
#define SL_ETRADE_REJECTED -151 /* the maker rejected the proposal */
#define SL_ETIP_MALFORMED -160  /* not a TIP_META message, or its typed data lacks a field */
#define SL_ETIP_SIGNATURE -161  /* the envelope is not signed by its sender */
#define SL_ETIP_SIZE -162       /* over the tip size cap (256 KiB) */
#define SL_ETIP_SKEW -163       /* sent outside the clock window */
#define SL_ETIP_EXPIRED -164    /* the meta-transaction's deadline has passed */
#define SL_ETIP_REPLAY -165     /* a nonce seen already, or too far below the sender's newest */

/* Human-readable description of a code; never NULL. */
const char *sl_strerror(int code);
/* Stable symbolic name of a code ("FRAME_UNKNOWN_TYPE" for SL_EFRAME_TYPE): the `code`
 * of JS errors; not always the macro without its SL_E prefix. Never NULL. */
const char *sl_errname(int code);

/* Initialise libsodium (and, in wasm, its random source). Idempotent.
 * Returns 0 or SL_ECRYPTO. */
SL_MUST_CHECK int sl_init(void);

/* ---------------------------------------------------------------- identity */

#define SL_SEED_BYTES 32
#define SL_PUBLIC_KEY_BYTES 32
#define SL_SIGNATURE_BYTES 64
/* A peer id is 52 base58btc characters ("12D3KooW..."); this size includes the NUL. */
#define SL_PEER_ID_BYTES 53

/* An Ed25519 signing identity. Opaque; holds the secret key. */
typedef struct sl_identity sl_identity;

/* Derive an identity from a 32-byte seed (deterministic). *out is owned by
 * the caller: release it with sl_identity_free. */
SL_MUST_CHECK int sl_identity_from_seed(sl_identity **out, const uint8_t seed[SL_SEED_BYTES]);
/* A fresh random identity. */
SL_MUST_CHECK int sl_identity_generate(sl_identity **out);
/* Wipes the secret key and frees. NULL is a no-op. */
void sl_identity_free(sl_identity *id);

/* Pointers into the identity; valid until sl_identity_free. */
const uint8_t *sl_identity_public_key(const sl_identity *id);
const char *sl_identity_peer_id(const sl_identity *id);
/* Copies the 32-byte seed out, so the application can persist it. */
void sl_identity_seed(const sl_identity *id, uint8_t seed[SL_SEED_BYTES]);

/* Detached Ed25519 signature over msg[0..len). */
int sl_identity_sign(const sl_identity *id, const uint8_t *msg, size_t len,
                     uint8_t sig[SL_SIGNATURE_BYTES]);
/* 0 if sig is a valid signature by pk over msg, else SL_EHS_SIGNATURE. */
SL_MUST_CHECK int sl_verify(const uint8_t pk[SL_PUBLIC_KEY_BYTES], const uint8_t *msg, size_t len,
                            const uint8_t sig[SL_SIGNATURE_BYTES]);

/* libp2p peer id of an Ed25519 public key: base58btc of the identity
 * multihash of the protobuf PublicKey. Writes 52 chars and a NUL. */
SL_MUST_CHECK int sl_peer_id_from_public_key(const uint8_t pk[SL_PUBLIC_KEY_BYTES],
                                             char out[SL_PEER_ID_BYTES]);
/* Parses a peer id (len characters, no NUL needed) back to its public key.
 * SL_EPEERID if it is not an Ed25519 libp2p peer id, SL_EPUBKEY if the key
 * is not a valid, non-small-order curve point. */
SL_MUST_CHECK int sl_peer_id_to_public_key(const char *str, size_t len,
                                           uint8_t pk[SL_PUBLIC_KEY_BYTES]);

/* ------------------------------------------------------------------ frames */

/* Wire layout: [u32 BE length][u8 type][payload]; length = 1 + payload bytes. */
#define SL_FRAME_HEADER_BYTES 5
#define SL_FRAME_DEFAULT_MAX_PAYLOAD (256u * 1024u)
/* Hard ceiling on any configured cap, so lengths always fit a 32-bit size_t. */
#define SL_FRAME_ABSOLUTE_MAX_PAYLOAD (64u * 1024u * 1024u)

enum sl_frame_type {
  SL_FRAME_DATA = 0x01,
  SL_FRAME_FILE_CHUNK = 0x02,
  SL_FRAME_FILE_META = 0x03,
  SL_FRAME_PRESENCE = 0x04,
  SL_FRAME_ACK = 0x05,
  SL_FRAME_PING = 0x06,
  SL_FRAME_PONG = 0x07,
  SL_FRAME_DISCONNECT = 0x08,
  SL_FRAME_BATCH = 0x09,
  SL_FRAME_GOSSIP = 0x20, /* one libp2p pubsub RPC (sl_gossip) */
  SL_FRAME_SIGNAL = 0x21, /* SDP and candidates relayed through a connected peer */
  SL_FRAME_ORDER_CREATE = 0x30,
  SL_FRAME_ORDER_CANCEL = 0x31,
  SL_FRAME_ORDER_UPDATE = 0x32,
  SL_FRAME_ORDERBOOK_REQUEST = 0x33,
  SL_FRAME_ORDERBOOK_RESPONSE = 0x34,
  SL_FRAME_ORDER_KEEPALIVE = 0x35,
  SL_FRAME_ORDERBOOK_SYNC = 0x36, /* set reconciliation of a book (sl_booksync) */
  SL_FRAME_TRADE_PROPOSE = 0x40,
  SL_FRAME_TRADE_ACCEPT = 0x41,
  SL_FRAME_TRADE_REJECT = 0x42,
  SL_FRAME_TRADE_CANCEL = 0x43,
  SL_FRAME_TRADE_SIGNATURE = 0x44,
  SL_FRAME_PSBT_CREATE = 0x50,
  SL_FRAME_PSBT_UPDATE = 0x51,
  SL_FRAME_PSBT_SIGN = 0x52,
  SL_FRAME_PSBT_FINALIZE = 0x53,
  SL_FRAME_PSBT_BROADCAST = 0x54,
  SL_FRAME_TIP_META = 0x60
};

/* 1 if type is one of enum sl_frame_type, else 0. */
int sl_frame_type_known(unsigned type);

/* Writes one frame into out[0..cap). *out_len = 5 + len. SL_EFRAME_TYPE for
 * an unknown type, SL_EFRAME_TOO_LARGE above SL_FRAME_ABSOLUTE_MAX_PAYLOAD,
 * SL_EBUFSIZE if cap is too small. */
SL_MUST_CHECK int sl_frame_encode(unsigned type, const uint8_t *payload, size_t len, uint8_t *out,
                                  size_t cap, size_t *out_len);

/* A decoded frame. payload points either into the caller's input or into
 * the decoder's own buffer; either way it is valid only until the next call
 * on the decoder (or until the input is released). */
typedef struct sl_frame {
  uint8_t type;
  const uint8_t *payload;
  size_t len;
} sl_frame;

/* Streaming decoder. Accepts input in arbitrary chunks. It checks a frame's
 * length and type from the 5-byte header before buffering anything, and
 * buffers at most one frame (header + max_payload bytes). After any error it
 * stays failed (SL_EFRAME_FAILED) because the stream has lost its framing. */
typedef struct sl_frame_decoder sl_frame_decoder;

/* max_payload 0 means SL_FRAME_DEFAULT_MAX_PAYLOAD; above
 * SL_FRAME_ABSOLUTE_MAX_PAYLOAD is SL_EINVAL. */
SL_MUST_CHECK int sl_frame_decoder_new(sl_frame_decoder **out, size_t max_payload);
void sl_frame_decoder_free(sl_frame_decoder *dec);

/* Consumes input from data[0..len) until one frame is complete or the input
 * is used up. Returns 1 with *frame filled when a frame is complete, 0 when
 * all input was consumed without completing one, or a negative code.
 * *consumed always says how many input bytes were used; call again with the
 * rest. */
SL_MUST_CHECK int sl_frame_decoder_push(sl_frame_decoder *dec, const uint8_t *data, size_t len,
                                        size_t *consumed, sl_frame *frame);

/* Bytes the decoder holds for a frame not yet complete (never more than
 * 5 + max_payload). */
size_t sl_frame_decoder_buffered(const sl_frame_decoder *dec);

/* --------------------------------------------------------------- handshake */

/* Noise_XX_25519_ChaChaPoly_SHA256 with libp2p's NoiseHandshakePayload.
 * Message 1 (initiator) carries no payload; messages 2 and 3 carry the
 * sender's identity key, its signature over "noise-libp2p-static-key:" ||
 * its X25519 static key, and optional application bytes. */
#define SL_NOISE_MAX_MESSAGE 65535
#define SL_HANDSHAKE_OVERHEAD 256 /* upper bound of bytes added around a payload */

typedef struct sl_handshake sl_handshake;
typedef struct sl_session sl_session;

/* Starts a handshake. A fresh X25519 static key is generated for it and
 * signed by the identity right away, so the identity is only used during
 * this call (it may be freed afterwards). The prologue is copied. */
SL_MUST_CHECK int sl_handshake_new(sl_handshake **out, const sl_identity *id, int initiator,
                                   const uint8_t *prologue, size_t prologue_len);
void sl_handshake_free(sl_handshake *hs);

/* Optional: require the remote identity to be pk; a different one fails the
 * handshake with SL_EHS_PEER. Call before the message that carries it. */
SL_MUST_CHECK int sl_handshake_expect_remote(sl_handshake *hs,
                                             const uint8_t pk[SL_PUBLIC_KEY_BYTES]);

/* Writes the next handshake message into out[0..cap). payload may be NULL
 * when len is 0; message 1 must have an empty payload. SL_ESTATE when it is
 * not our turn. */
SL_MUST_CHECK int sl_handshake_write(sl_handshake *hs, const uint8_t *payload, size_t len,
                                     uint8_t *out, size_t cap, size_t *out_len);
/* Reads the peer's next message; the application payload it carried (may
 * be empty) goes to payload_out[0..cap). Any failure is final for this
 * handshake. */
SL_MUST_CHECK int sl_handshake_read(sl_handshake *hs, const uint8_t *msg, size_t len,
                                    uint8_t *payload_out, size_t cap, size_t *payload_len);

/* 1 once all three messages have been processed. */
int sl_handshake_complete(const sl_handshake *hs);
/* 1 if the handshake has failed. */
int sl_handshake_failed(const sl_handshake *hs);
/* 1 if our next step is a write, 0 if it is a read (or the handshake is over). */
int sl_handshake_wants_write(const sl_handshake *hs);
/* The remote's verified Ed25519 identity key; SL_ESTATE before it is known. */
SL_MUST_CHECK int sl_handshake_remote_public_key(const sl_handshake *hs,
                                                 uint8_t pk[SL_PUBLIC_KEY_BYTES]);
/* The handshake hash (channel binding), 32 bytes; SL_ESTATE before completion. */
SL_MUST_CHECK int sl_handshake_hash(const sl_handshake *hs, uint8_t out[32]);

/* Turns a complete handshake into a transport session owned by the caller.
 * The handshake's key material is wiped; free the handshake afterwards. */
SL_MUST_CHECK int sl_handshake_split(sl_handshake *hs, sl_session **out);

/* ----------------------------------------------------------------- session */

/* A record is one Noise transport message: ciphertext + 16-byte tag, at most
 * SL_RECORD_MAX_BYTES. Nonces are 64-bit counters: records must be
 * decrypted in the order they were encrypted, each exactly once. */
#define SL_RECORD_MAX_BYTES 16384
#define SL_RECORD_TAG_BYTES 16
#define SL_RECORD_MAX_PLAINTEXT (SL_RECORD_MAX_BYTES - SL_RECORD_TAG_BYTES)

/* out needs len + 16 bytes. */
SL_MUST_CHECK int sl_session_encrypt(sl_session *s, const uint8_t *pt, size_t len, uint8_t *out,
                                     size_t cap, size_t *out_len);
/* out needs len - 16 bytes. A failure (tamper, replay, reordering,
 * truncation) is final: the session refuses further records. */
SL_MUST_CHECK int sl_session_decrypt(sl_session *s, const uint8_t *rec, size_t len, uint8_t *out,
                                     size_t cap, size_t *out_len);
/* Wipes keys and frees. NULL is a no-op. */
void sl_session_free(sl_session *s);

/* --------------------------------------------------------------------- jwt */

/* Verifies the JWT a client sends to the hub as its first message. Exactly
 * one algorithm is accepted (never "none"); exp is required; nbf and iat
 * are honoured; aud and iss are checked when configured; duplicate claim
 * names are refused (parsers disagree on which one wins). */
#define SL_JWT_MAX_TOKEN_DEFAULT 4096
#define SL_JWT_MAX_SKEW 60
#define SL_JWT_USER_ID_MAX 128

enum sl_jwt_alg { SL_JWT_HS256 = 1, SL_JWT_EDDSA = 2 };

typedef struct sl_jwt_config {
  int alg;               /* enum sl_jwt_alg */
  const uint8_t *secret; /* HS256 key (borrowed), at least 32 bytes */
  size_t secret_len;
  uint8_t issuer_public_key[SL_PUBLIC_KEY_BYTES]; /* EdDSA issuer key */
  const char *audience;                           /* NUL-terminated; NULL: aud not checked */
  const char *issuer;                             /* NUL-terminated; NULL: iss not checked */
  unsigned skew_seconds;                          /* clock skew allowed, at most SL_JWT_MAX_SKEW */
  size_t max_token;                               /* 0 means SL_JWT_MAX_TOKEN_DEFAULT */
} sl_jwt_config;

typedef struct sl_jwt_claims {
  char user_id[SL_JWT_USER_ID_MAX + 1];    /* NUL-terminated */
  uint8_t public_key[SL_PUBLIC_KEY_BYTES]; /* the key the client must prove */
  int64_t expires;                         /* exp, seconds since the epoch */
  const char *problem; /* with SL_EJWT_CLAIMS: which claim is at fault and why (static) */
} sl_jwt_claims;

/* 0 with *claims filled, or SL_EINVAL (bad config) / SL_EJWT_*. now is
 * seconds since the epoch. The token need not be NUL-terminated. */
SL_MUST_CHECK int sl_jwt_verify(const sl_jwt_config *cfg, const char *token, size_t len,
                                int64_t now, sl_jwt_claims *claims);

/* --------------------------------------------------------------- signaling */

/* Signaling messages are JSON objects {"type", "from", "to", "room",
 * "payload", "id"} sent as WebSocket text (docs/protocol.md §5). */
#define SL_SIGNAL_MAX_DEFAULT (64u * 1024u)
#define SL_ROOM_MAX 64
#define SL_SIGNAL_ID_MAX 64

enum sl_signal_type {
  /* client -> hub */
  SL_SIG_AUTH = 1,
  SL_SIG_AUTH_PROOF,
  SL_SIG_JOIN,
  SL_SIG_LEAVE,
  SL_SIG_OFFER,
  SL_SIG_ANSWER,
  SL_SIG_ICE_CANDIDATE,
  SL_SIG_RELAY_OPEN,
  SL_SIG_PING,
  SL_SIG_PONG,
  /* hub -> client */
  SL_SIG_CHALLENGE,
  SL_SIG_AUTHENTICATED,
  SL_SIG_PEER_LIST,
  SL_SIG_PEER_JOINED,
  SL_SIG_PEER_LEFT,
  SL_SIG_RELAY_READY,
  SL_SIG_ERROR,
  SL_SIG_TYPE_COUNT
};

/* Wire name of a type ("ice-candidate"), or NULL. */
const char *sl_signal_type_name(int type);

/* A parsed client message. Strings are NUL-terminated; empty when absent. */
typedef struct sl_signal {
  int type; /* enum sl_signal_type, client -> hub only */
  char to[SL_PEER_ID_BYTES];
  char room[SL_ROOM_MAX + 1];
  char id[SL_SIGNAL_ID_MAX + 1];
  char *payload; /* compact JSON of "payload", or NULL; owned */
  size_t payload_len;
  char *token; /* auth: payload.token, owned (wiped and freed by sl_signal_free); else NULL */
  uint8_t signature[SL_SIGNATURE_BYTES]; /* auth-proof: payload.signature (base64url) */
} sl_signal;

/* Parses and validates one client -> hub message: the type must be a
 * client type, and each type's required fields must be present and well
 * formed ("to" a peer id; "room" 1..64 of [A-Za-z0-9._:/-]; "id" at most
 * 64 characters; an auth token longer than SL_JWT_MAX_TOKEN_DEFAULT is
 * SL_EJWT_TOO_LARGE). "from" is ignored: the hub sets it. On success *out is
 * owned by the caller (sl_signal_free). max_len 0 = SL_SIGNAL_MAX_DEFAULT. */
SL_MUST_CHECK int sl_signal_parse(const char *text, size_t len, size_t max_len, sl_signal **out);
void sl_signal_free(sl_signal *msg);

/* Builds a hub -> client (or forwarded) message as compact JSON. Any
 * string argument may be NULL to omit the field; payload_json must be
 * valid JSON or NULL. *out is malloc'd and NUL-terminated; free() it. */
SL_MUST_CHECK int sl_signal_build(int type, const char *from, const char *to, const char *room,
                                  const char *id, const char *payload_json, char **out,
                                  size_t *out_len);
/* {"type":"error","from":peer,"id":id,"payload":{"code":code,"message":message}};
 * peer (may be NULL) names the peer the error concerns, as other hub
 * messages about a peer do (RELAY_LIMIT: the other end of the path). */
SL_MUST_CHECK int sl_signal_build_error(const char *code, const char *message, const char *id,
                                        const char *peer, char **out, size_t *out_len);

/* --------------------------------------------------------------------- hub */

/* The signaling + relay hub's logic, driven by a host that owns the
 * sockets (js-glue/hub.js). Events go in (open, text, binary, close,
 * tick); actions come out as a queue of outputs (send text, send binary,
 * close) that the host performs in order. Times are milliseconds on any
 * monotonic clock (doubles, so they cross the wasm boundary), except the
 * JWT clock, which is wall time. */
typedef struct sl_hub sl_hub;

enum sl_hub_setting {
  SL_HUB_MAX_MESSAGE = 1,      /* bytes of one text message (65536) */
  SL_HUB_MAX_ROOMS_PER_CLIENT, /* 16 */
  SL_HUB_MAX_PEERS_PER_ROOM,   /* 1024 */
  SL_HUB_MAX_CONNECTIONS,      /* 20000 */
  SL_HUB_AUTH_TIMEOUT_MS,      /* 10000 */
  SL_HUB_PING_INTERVAL_MS,     /* 30000 */
  SL_HUB_STALE_MS,             /* 60000 */
  SL_HUB_MSG_RATE,             /* messages per second per connection (100) */
  SL_HUB_MSG_BURST,            /* (400) */
  SL_HUB_CONNECT_RATE,         /* connections per second per IP (20) */
  SL_HUB_CONNECT_BURST,        /* (100) */
  SL_HUB_AUTH_RATE,            /* auth attempts per second per IP (20) */
  SL_HUB_AUTH_BURST,           /* (100) */
  SL_HUB_RELAY_MAX_BYTES,      /* bytes per relay path (64 MiB) */
  SL_HUB_RELAY_MAX_MS,         /* lifetime of a relay path (600000) */
  SL_HUB_JWT_SKEW_S,           /* clock skew for exp/nbf/iat, <= 60 (60) */
  SL_HUB_RELAY_RATE,           /* relay records per second per connection (2000) */
  SL_HUB_RELAY_BURST,          /* (4000) */
  SL_HUB_JOIN_RATE,            /* join/leave messages per second per connection (2) */
  SL_HUB_JOIN_BURST,           /* (20) */
  SL_HUB_CLUSTER,              /* 1: one of several instances (cluster outputs, remote peers) (0) */
  SL_HUB_SETTING_COUNT
};

/* Relay frames: [u8 kind = 1][32-byte Ed25519 key of the peer][record]. */
#define SL_RELAY_KIND_RECORD 1
#define SL_RELAY_HEADER_BYTES 33

enum sl_hub_output_kind {
  SL_HUB_SEND_TEXT = 1,
  SL_HUB_SEND_BINARY = 2,
  SL_HUB_CLOSE = 3,
  /* With SL_HUB_CLUSTER set, what the other instances must learn about
   * this one's clients (never about remote peers): */
  SL_HUB_PEER_UP = 4,      /* conn authenticated; data: its 32-byte key, then its peer id */
  SL_HUB_JOINED = 5,       /* conn joined the room named by data */
  SL_HUB_LEFT = 6,         /* conn left the room named by data */
  SL_HUB_PEER_DOWN = 7,    /* conn (authenticated) is gone, with all its rooms */
  SL_HUB_CONNECT_FROM = 8, /* a connection opened from the address named by data */
  SL_HUB_AUTH_FROM = 9     /* an authentication attempt from the address named by data */
};
/* WebSocket close codes of SL_HUB_CLOSE. */
enum sl_hub_close_code {
  SL_HUB_CLOSE_POLICY = 4000, /* an authenticated client broke a rule (the error said which) */
  SL_HUB_CLOSE_UNAUTHENTICATED = 4001, /* refused before authentication: the host need not linger */
  SL_HUB_CLOSE_SLOW_CONSUMER = 4008    /* its outbound buffer passed the host's cap */
};
typedef struct sl_hub_output {
  uint32_t conn;
  int kind;            /* enum sl_hub_output_kind */
  const uint8_t *data; /* valid until the next sl_hub_next_output call */
  size_t len;
  int close_code; /* WebSocket close code for SL_HUB_CLOSE */
  uint32_t from;  /* the local connection an output to a remote one comes from or is about */
} sl_hub_output;

SL_MUST_CHECK int sl_hub_new(sl_hub **out);
void sl_hub_free(sl_hub *hub);
/* Settings (before the first connection). SL_EINVAL for values that are
 * not finite or outside sl_hub_setting_range. */
SL_MUST_CHECK int sl_hub_set(sl_hub *hub, int setting, double value);
/* The inclusive range sl_hub_set accepts for a setting. */
SL_MUST_CHECK int sl_hub_setting_range(int setting, double *min, double *max);
SL_MUST_CHECK int sl_hub_set_jwt_hs256(sl_hub *hub, const uint8_t *secret, size_t len);
SL_MUST_CHECK int sl_hub_set_jwt_eddsa(sl_hub *hub, const uint8_t issuer_public_key[32]);
/* NUL-terminated; NULL clears. Copied. */
SL_MUST_CHECK int sl_hub_set_jwt_audience(sl_hub *hub, const char *aud);
SL_MUST_CHECK int sl_hub_set_jwt_issuer(sl_hub *hub, const char *iss);

/* A new socket from ip (any string naming the client's address). Returns
 * the connection id (> 0) or a negative code; a refused connection still
 * gets an id, an error and a close in the output queue. */
int sl_hub_open(sl_hub *hub, const char *ip, double now_ms);
/* Input from a connection. Errors in the input are answered through the
 * output queue; the return value is 0 or a negative code for host bugs. */
int sl_hub_text(sl_hub *hub, uint32_t conn, const char *text, size_t len, double now_ms,
                double wall_s);
int sl_hub_binary(sl_hub *hub, uint32_t conn, const uint8_t *data, size_t len, double now_ms);
/* The socket closed (either side). Safe to call for a connection the hub
 * already closed. */
void sl_hub_closed(sl_hub *hub, uint32_t conn, double now_ms);
/* Timers: auth deadlines, keepalive pings, stale connections. Call about
 * once a second. */
void sl_hub_tick(sl_hub *hub, double now_ms);
/* 1 and *out filled while outputs are queued, else 0. */
int sl_hub_next_output(sl_hub *hub, sl_hub_output *out);
/* 1 if conn is open and authenticated (the host allows larger messages then). */
int sl_hub_authenticated(const sl_hub *hub, uint32_t conn);
/* 0, or the latched SL_ENOMEM once an output could not be queued: the
 * hub's state and the host's sockets may disagree, so the host stops. */
int sl_hub_status(const sl_hub *hub);
/* The host could not write to conn: its outbound buffer is past the cap.
 * The connection is closed (SL_HUB_CLOSE_SLOW_CONSUMER) and counted. */
int sl_hub_overflow(sl_hub *hub, uint32_t conn);
/* A relay record for conn was not written because conn reads too slowly:
 * the relay path it belongs to ends with RELAY_LIMIT for both ends, so the
 * sender learns to stop instead of the hub buffering for it. */
int sl_hub_relay_stalled(sl_hub *hub, uint32_t conn, const uint8_t *record, size_t len);
/* Hubs on several instances (SL_HUB_CLUSTER): the peers connected to the
 * other instances appear here as remote connections. They are members of
 * rooms like local clients (peer lists, peer-joined/left, forwarding and
 * relay paths work across instances); room notices are never sent to
 * them, since their own instance tells them. Outputs addressed to a
 * remote connection are for the host to carry to its instance, which
 * hands them to sl_hub_deliver. sl_hub_closed removes one.
 * sl_hub_remote_open returns the connection id (the same one for a key
 * already known as remote); a local client with the same identity is
 * closed with SESSION_REPLACED, as on one hub. */
int sl_hub_remote_open(sl_hub *hub, const uint8_t public_key[32], double now_ms);
/* Membership of a remote connection; SL_ESTATE if the room is full or
 * the connection is at its room limit (its own instance checked first). */
int sl_hub_remote_join(sl_hub *hub, uint32_t remote, const char *room, double now_ms);
int sl_hub_remote_leave(sl_hub *hub, uint32_t remote, const char *room, double now_ms);
/* Connections and authentication attempts that other instances saw from
 * ip (their SL_HUB_CONNECT_FROM / SL_HUB_AUTH_FROM): they take from this
 * instance's buckets for ip as its own do, so an address's connect and
 * auth limits hold across the cluster, not once per instance. */
int sl_hub_remote_load(sl_hub *hub, const char *ip, unsigned connects, unsigned auths,
                       double now_ms);
/* The remote peer now connects through another instance: its relay
 * paths here end, and our clients on them get RELAY_LIMIT (naming it) so
 * they open new ones through its new instance. */
int sl_hub_remote_moved(sl_hub *hub, uint32_t remote);
/* A message another instance's hub addressed to our client `to` from its
 * client `from` (remote here): a forwarded signal, relay-ready, an error
 * about a relay path (text), or a relay record (binary). A relay-ready
 * opens this instance's side of the path, so `to`'s records are accepted
 * and both directions count against its limits here as well. */
int sl_hub_deliver(sl_hub *hub, uint32_t from, uint32_t to, int binary, const uint8_t *data,
                   size_t len, double now_ms);
/* Prometheus text exposition of the hub's counters; malloc'd, free(). */
SL_MUST_CHECK int sl_hub_metrics(const sl_hub *hub, char **out, size_t *out_len);

/* What a client signs to answer the hub's challenge:
 * "starling-hub-challenge:" || the 32 nonce bytes. */
#define SL_HUB_CHALLENGE_PREFIX "starling-hub-challenge:"
#define SL_HUB_NONCE_BYTES 32

/* ------------------------------------------------------ hub client session */

/* The peer's side of the hub protocol, independent of the transport: the
 * host opens the WebSocket, reports it with sl_hub_session_opened, feeds
 * every text message to sl_hub_session_text, and sends what
 * sl_hub_session_next asks. The session answers the challenge itself. */
typedef struct sl_hub_session sl_hub_session;

enum sl_hub_session_event_kind {
  SL_HUBS_SEND = 1,      /* send data (text) to the hub */
  SL_HUBS_AUTHENTICATED, /* data: the peer id the hub confirmed */
  SL_HUBS_SIGNAL,        /* data: a hub message for the peer logic (peer-list, offer, ...) */
  SL_HUBS_ERROR,         /* data: an error message, JSON
                            {"type":"error","from"?,"id"?,"payload":{"code","message"}}; the session goes on
                          */
  SL_HUBS_FAILED         /* data: the error code; authentication failed, close the socket */
};

typedef struct sl_hub_session_event {
  int kind;         /* enum sl_hub_session_event_kind */
  const char *data; /* NUL-terminated; valid until the next sl_hub_session_next */
  size_t len;
} sl_hub_session_event;

/* 0 if url may be dialled: wss:// anywhere, ws:// only to loopback
 * (127.0.0.0/8, localhost, [::1]) unless allow_insecure. */
SL_MUST_CHECK int sl_hub_url_check(const char *url, int allow_insecure);

/* The identity is borrowed (it signs the challenge) and must outlive the
 * session; the token is copied. */
SL_MUST_CHECK int sl_hub_session_new(sl_hub_session **out, const sl_identity *id,
                                     const char *token);
void sl_hub_session_free(sl_hub_session *s);
/* The socket is open: queues the auth message. */
void sl_hub_session_opened(sl_hub_session *s);
/* A text message from the hub. Returns 0, or SL_EHUB_AUTH once auth failed. */
int sl_hub_session_text(sl_hub_session *s, const char *text, size_t len);
/* Queue join / leave (after authentication; SL_ESTATE before). */
SL_MUST_CHECK int sl_hub_session_join(sl_hub_session *s, const char *room);
SL_MUST_CHECK int sl_hub_session_leave(sl_hub_session *s, const char *room);
/* Queue a message to another peer through the hub: type is SL_SIG_OFFER,
 * SL_SIG_ANSWER, SL_SIG_ICE_CANDIDATE (payload_json: a JSON object) or
 * SL_SIG_RELAY_OPEN (payload_json NULL). `to` must be a peer id. */
SL_MUST_CHECK int sl_hub_session_signal(sl_hub_session *s, int type, const char *to,
                                        const char *payload_json);
/* 1 and *ev filled while events are queued, else 0. */
int sl_hub_session_next(sl_hub_session *s, sl_hub_session_event *ev);
int sl_hub_session_authenticated(const sl_hub_session *s);

/* ------------------------------------------------------------------- link */

/* The per-peer connection state machine (src/link/link.c): which path
 * carries the session, when a direct attempt starts or is retried, when
 * traffic falls back to the relay and moves back. The host reports what
 * happens to its paths and performs the actions sl_link_next hands out, in
 * order. The smaller peer id is the offerer: it starts direct attempts and
 * asks for relays; the answerer follows. */
typedef struct sl_link sl_link;

enum sl_link_path { SL_LINK_PATH_DIRECT = 1, SL_LINK_PATH_RELAY = 2 };

/* Why a path ended (and, for a direct path, the fallback's reason). */
enum sl_link_reason {
  SL_LINK_TIMEOUT = 1,       /* no direct session within the host's timeout */
  SL_LINK_ICE_FAILED,        /* ICE found no working candidate pair */
  SL_LINK_PATH_CLOSED,       /* the channel or connection closed */
  SL_LINK_REMOTE_FAILED,     /* the other end reported its side of the attempt broke */
  SL_LINK_HUB_CLOSED,        /* the hub connection (and so the relay) went away */
  SL_LINK_OTHER,             /* anything else (a handshake error, say): counts as broken */
  SL_LINK_DIRECT_UNAVAILABLE /* fallback only: this side saw no direct failure itself */
};

enum sl_link_action_kind {
  SL_LINK_START_DIRECT = 1, /* arg: attempt. Create the direct path (the offerer then offers) */
  SL_LINK_REPORT_BROKEN,    /* arg: attempt. Answerer: tell the offerer this attempt broke */
  SL_LINK_REQUEST_RELAY,    /* ask the hub for a relay path (relay-open) */
  SL_LINK_START_RELAY,      /* create the relay path for the session id just received */
  SL_LINK_CLOSE_PATH,       /* arg: path. Close it; it needs no failure report */
  SL_LINK_ACTIVATE,         /* arg: path. It carries data from now on */
  SL_LINK_DEACTIVATE,       /* arg: path. It no longer does: requeue what it had in flight */
  SL_LINK_FALLBACK,         /* arg: enum sl_link_reason. Traffic moved to the relay */
  SL_LINK_SET_TIMER /* arg: enum sl_link_timer, ms: delay (< 0: cancel). Re-arming replaces */
};

enum sl_link_timer {
  SL_LINK_TIMER_DIRECT_RETRY = 1,
  SL_LINK_TIMER_RELAY_RETRY,
  SL_LINK_TIMER_RELAY_LINGER
};

typedef struct sl_link_action {
  int kind; /* enum sl_link_action_kind */
  int arg;
  double ms;
} sl_link_action;

/* *out is the caller's; free with sl_link_free (NULL is a no-op). A direct
 * path that failed is retried after direct_retry_ms. */
SL_MUST_CHECK int sl_link_new(sl_link **out, int offerer, double direct_retry_ms);
void sl_link_free(sl_link *l);
/* 1 and *out filled while actions are queued, else 0. SL_ENOMEM (from
 * then on) if an action could not be queued: close the link, its state
 * can no longer be trusted. */
int sl_link_next(sl_link *l, sl_link_action *out);
/* Whether the hub connection is up (nothing starts without it). */
void sl_link_set_hub(sl_link *l, int open);
/* Offerer: the first direct attempt. */
void sl_link_start(sl_link *l);
/* The other end is (again) in one of our rooms: get a path if there is none. */
void sl_link_present(sl_link *l);
/* Answerer: an offer for `attempt` arrived. 1 if it starts a new direct
 * path (an older one is closed first), 0 if it is stale. */
int sl_link_offer(sl_link *l, uint32_t attempt);
/* The hub issued a new relay session id: a new relay path replaces any. */
void sl_link_relay_ready(sl_link *l);
/* The path's handshake completed. */
void sl_link_path_ready(sl_link *l, int path);
/* The path ended (reason: enum sl_link_reason). */
void sl_link_path_failed(sl_link *l, int path, int reason);
/* The hub connection went away (the relay path goes with it). */
void sl_link_hub_lost(sl_link *l);
/* A timer the link armed fired. */
void sl_link_timer(sl_link *l, int timer);
/* Closes every path and cancels every timer; later events are ignored. */
void sl_link_close(sl_link *l);
int sl_link_active(const sl_link *l);          /* SL_LINK_PATH_* or 0 */
uint32_t sl_link_attempt(const sl_link *l);    /* the current direct attempt */
int sl_link_fallback_reason(const sl_link *l); /* 0 until a direct path failed */

/* ---------------------------------------------------------------- delivery */

/* Delivery over one link (sans-IO, next to sl_link): what makes a path
 * change invisible to the application. Every message gets a 32-bit
 * sequence number when first written (serial-number arithmetic, RFC
 * 1982) and is held until the receiver's cumulative ACK covers it; when
 * the active path changes, what was in flight is written again, oldest
 * first. The receiver delivers only the next sequence number and
 * acknowledges duplicates without delivering them. ACKs are coalesced
 * (64 messages, 256 KiB, or 5 ms). Messages wait in two priority queues
 * (high before normal) under a byte cap.
 *
 * The host feeds it messages to send, frames received on any path, path
 * changes and the ACK timer; it asks for the next plaintext chunk to write
 * on the active path and drains events. See docs/protocol.md §3.4. */
typedef struct sl_delivery sl_delivery;

enum sl_delivery_event_kind {
  SL_DELIVERY_MESSAGE = 1, /* data/len: a message; arg: its enum sl_delivery_kind */
  SL_DELIVERY_SENT,        /* arg: handle. The receiver acknowledged the message */
  SL_DELIVERY_FAILED,      /* arg: handle. Dropped by sl_delivery_close, not acknowledged */
  SL_DELIVERY_PRESENCE,    /* data/len: the other end's presence status */
  SL_DELIVERY_DISCONNECT,  /* the other end said goodbye */
  SL_DELIVERY_WRITE,       /* an ACK is due now: call sl_delivery_write on the active path */
  SL_DELIVERY_TIMER,       /* ms: arm the ACK timer (re-arming replaces it) */
  SL_DELIVERY_OUT_OF_ORDER /* a DATA frame past a gap was dropped unacknowledged */
};

typedef struct sl_delivery_event {
  int kind;            /* enum sl_delivery_event_kind */
  uint32_t arg;        /* handle, or a MESSAGE's enum sl_delivery_kind */
  const uint8_t *data; /* valid until the next event is queued after the queue ran empty */
  uint32_t len;
  double ms;
} sl_delivery_event;

/* What a delivered message is: the application's bytes or text (DATA
 * frames), or one pubsub RPC (GOSSIP), signalling message (SIGNAL) or
 * orderbook sync message (ORDERBOOK_*) for the layers above the link. All share the link's sequence
 * and ACKs. */
enum sl_delivery_kind {
  SL_DELIVERY_BYTES = 0,
  SL_DELIVERY_TEXT = 1,
  SL_DELIVERY_GOSSIP = SL_FRAME_GOSSIP,
  SL_DELIVERY_SIGNAL = SL_FRAME_SIGNAL,
  SL_DELIVERY_ORDERBOOK_REQUEST =
      SL_FRAME_ORDERBOOK_REQUEST, /* an orderbook's sync (sl_booksync) */
  SL_DELIVERY_ORDERBOOK_RESPONSE = SL_FRAME_ORDERBOOK_RESPONSE,
  SL_DELIVERY_ORDERBOOK_SYNC = SL_FRAME_ORDERBOOK_SYNC
  /* and every trade frame (TRADE_*, PSBT_*, TIP_META) as its own kind:
   * sl_delivery_trade_kind */
};
/* 1 if kind is a trade frame type the link delivers (TRADE_*, PSBT_*,
 * TIP_META), else 0. */
int sl_delivery_trade_kind(int kind);

/* DATA frame: [u32 BE seq][u8 kind: 0 bytes, 1 text][body]; GOSSIP and
 * SIGNAL frames: [u32 BE seq][u8 0][body]. */
#define SL_DATA_HEADER_BYTES 5
#define SL_DELIVERY_MAX_BODY (SL_FRAME_DEFAULT_MAX_PAYLOAD - SL_DATA_HEADER_BYTES)

/* *out is the caller's; free with sl_delivery_free. max_held_bytes caps
 * the message bytes held (queued, in flight or waiting to be resent). */
SL_MUST_CHECK int sl_delivery_new(sl_delivery **out, size_t max_held_bytes);
void sl_delivery_free(sl_delivery *d);
/* Queues a copy of body (kind: enum sl_delivery_kind). *handle names it
 * in the SENT / FAILED event. SL_EQUEUE_FULL past the byte cap, SL_EINVAL
 * above SL_DELIVERY_MAX_BODY or for an unknown kind, SL_ESTATE once closed
 * or leaving. */
SL_MUST_CHECK int sl_delivery_send(sl_delivery *d, const uint8_t *body, size_t len, int kind,
                                   int high, uint32_t *handle);
/* Writes the next plaintext for the active path into out (at most cap
 * bytes; cap >= 64): control frames (ACK, PRESENCE) first unless a frame
 * is half written, then the frame stream, whose frames may span calls.
 * *len 0: nothing is due. */
SL_MUST_CHECK int sl_delivery_write(sl_delivery *d, uint8_t *out, size_t cap, size_t *len);
/* A frame received on any path, in that path's order. Frame types it does
 * not own are ignored. */
SL_MUST_CHECK int sl_delivery_frame(sl_delivery *d, unsigned type, const uint8_t *payload,
                                    size_t len);
/* A new path carries data: what was in flight goes back to be written
 * again (returns how many messages), a half-written frame is abandoned, an
 * ACK (and the presence, if set) is due. deactivate: no path carries data. */
int sl_delivery_activate(sl_delivery *d);
int sl_delivery_deactivate(sl_delivery *d);
/* Our presence status, sent on every path that becomes active. */
SL_MUST_CHECK int sl_delivery_set_presence(sl_delivery *d, const uint8_t *status, size_t len);
/* The ACK timer fired / acknowledge at once (before a goodbye). */
void sl_delivery_timer(sl_delivery *d);
void sl_delivery_ack_now(sl_delivery *d);
/* Writes the goodbye (a due ACK, then DISCONNECT) into out; from then on
 * nothing more is delivered or sent. *len 0 if a frame is half written
 * (no clean point to say it). */
SL_MUST_CHECK int sl_delivery_goodbye(sl_delivery *d, uint8_t *out, size_t cap, size_t *len);
/* Fails every held message (FAILED events, oldest first); returns how many. */
size_t sl_delivery_close(sl_delivery *d);
/* 1 and *ev filled while events are queued, else 0; SL_ENOMEM (from then
 * on) if one could not be queued: the link must close. */
int sl_delivery_next(sl_delivery *d, sl_delivery_event *ev);
int sl_delivery_idle(const sl_delivery *d); /* every message sent was acknowledged */
size_t sl_delivery_held_bytes(const sl_delivery *d);
uint32_t sl_delivery_received(const sl_delivery *d); /* highest sequence number delivered */
/* Tests: both ends as if many messages had passed (next_seq, received). */
void sl_delivery_set_sequence(sl_delivery *d, uint32_t next_seq, uint32_t received);

/* ------------------------------------------------------------------ gossip */

/* A GossipSub v1.2 router (sans-IO), wire-compatible with libp2p: the
 * pubsub RPC protobuf, StrictSign messages, mesh maintenance, gossip,
 * peer exchange and v1.1 peer scoring. The host adds and removes peers
 * (by peer id: the authenticated identity of an encrypted link), hands it
 * each GOSSIP frame's payload, calls sl_gossip_tick with the time, and
 * drains events: RPCs to write, messages to validate and deliver. It owns
 * no clock, socket or randomness: the time comes with each tick and the
 * generator is seeded at creation, so a run is reproducible. See
 * docs/protocol.md §8. */
typedef struct sl_gossip sl_gossip;

#define SL_GOSSIP_MAX_TOPIC 256 /* bytes in a topic name */
#define SL_GOSSIP_MAX_ID 64     /* bytes in a message id (from || seqno is 46) */
#define SL_GOSSIP_DISCOVERY_TOPIC "_peer-discovery._p2p._pubsub"

/* Per-topic score parameters (GossipSub v1.1 §Peer Scoring). Decays are
 * factors applied once a heartbeat; counters below 0.01 become 0. */
typedef struct sl_gossip_topic_params {
  double topic_weight;
  double time_in_mesh_weight, time_in_mesh_quantum_ms, time_in_mesh_cap;        /* P1 */
  double first_deliveries_weight, first_deliveries_decay, first_deliveries_cap; /* P2 */
  double mesh_deliveries_weight, mesh_deliveries_decay, mesh_deliveries_cap,    /* P3 */
      mesh_deliveries_threshold, mesh_deliveries_window_ms, mesh_deliveries_activation_ms;
  double mesh_failure_weight, mesh_failure_decay;             /* P3b */
  double invalid_deliveries_weight, invalid_deliveries_decay; /* P4 */
} sl_gossip_topic_params;

typedef struct sl_gossip_params {
  /* mesh degree: target, low and high water marks, kept by score, outbound, gossip fan */
  int d, d_lo, d_hi, d_score, d_out, d_lazy;
  uint32_t heartbeat_ms, fanout_ttl_ms, seen_ttl_ms;
  uint32_t prune_backoff_ms, unsubscribe_backoff_ms, iwant_followup_ms;
  int mcache_len, mcache_gossip; /* heartbeats a message is kept / advertised */
  int max_ihave_len;             /* ids asked for per peer per heartbeat */
  int max_ihave_messages;        /* IHAVEs accepted per peer per heartbeat */
  int max_idontwant;             /* IDONTWANT ids kept per peer per heartbeat */
  int gossip_retransmission;     /* times a message is sent per peer on IWANT */
  int prune_peers;               /* peers offered in a PRUNE's peer exchange */
  int opportunistic_graft_ticks, opportunistic_graft_peers;
  int max_peer_topics;          /* topics one peer may subscribe to */
  uint32_t idontwant_threshold; /* message bytes from which IDONTWANT is sent */
  uint32_t max_message_bytes;   /* a message's data */
  uint32_t max_rpc_bytes;       /* one RPC (the GOSSIP frame's payload) */
  uint32_t max_pending;         /* messages awaiting the application's validator */
  uint32_t validation_timeout_ms;
  uint32_t retain_score_ms; /* a disconnected peer's score is kept this long */
  int flood_publish;        /* own messages go to every subscriber, not only the mesh */
  int content_id;           /* message id = SHA-256(data), not from || seqno */
  double gossip_threshold, publish_threshold, graylist_threshold, accept_px_threshold,
      opportunistic_graft_threshold;
  double behaviour_penalty_weight, behaviour_penalty_threshold, behaviour_penalty_decay; /* P7 */
  double app_specific_weight;                                                            /* P5 */
  double topic_score_cap;
  sl_gossip_topic_params topic; /* for every topic (sl_gossip_set_topic_params overrides) */
} sl_gossip_params;

/* The brief's parameters: D 6/4/12, D_score 4, D_out 2, D_lazy 6,
 * heartbeat 1 s, mcache 5/3, seen 120 s, fanout 60 s, backoff 60 s. */
void sl_gossip_params_default(sl_gossip_params *p);

enum sl_gossip_event_kind {
  SL_GOSSIP_SEND = 1,      /* peer, data/len: one RPC to write as a GOSSIP frame */
  SL_GOSSIP_VALIDATE,      /* handle, topic, author, id, data: answer with sl_gossip_validated */
  SL_GOSSIP_MESSAGE,       /* topic, author, id, data, peer (who forwarded it): deliver */
  SL_GOSSIP_PEER_EXCHANGE, /* peer (who pruned us), topic, author (the peer offered), data: its
                              signed peer record Envelope (may be empty) */
  SL_GOSSIP_REFUSED,       /* peer, code, topic (may be NULL): input from peer was refused */
  SL_GOSSIP_GRAYLISTED,    /* peer: its score fell below the graylist threshold */
};

enum sl_gossip_verdict { SL_GOSSIP_ACCEPT = 0, SL_GOSSIP_REJECT = 1, SL_GOSSIP_IGNORE = 2 };

typedef struct sl_gossip_event {
  int kind;        /* enum sl_gossip_event_kind */
  int code;        /* REFUSED: an SL_EGOSSIP_* code (or another SL_E*) */
  uint32_t handle; /* VALIDATE */
  uint32_t id_len;
  const char *peer; /* NUL-terminated peer ids and topic; NULL when not set */
  const char *topic;
  const char *author;
  const uint8_t *id;
  const uint8_t *data; /* all pointers valid until the next sl_gossip_next or input call */
  uint32_t len;
} sl_gossip_event;

typedef struct sl_gossip_stats {
  uint64_t rpcs_in, rpcs_out, bytes_in, bytes_out;
  uint64_t published, delivered, forwarded, duplicates, refused, rejected, ignored;
  uint64_t ihave_out, iwant_out, graft_out, prune_out, idontwant_out;
  uint64_t iwant_served, promises_broken, heartbeats;
} sl_gossip_stats;

/* id signs our messages; it must outlive the router. p NULL = defaults.
 * seed drives every random choice (mesh selection, gossip targets). */
SL_MUST_CHECK int sl_gossip_new(sl_gossip **out, const sl_identity *id, const sl_gossip_params *p,
                                uint64_t seed, uint64_t now_ms);
void sl_gossip_free(sl_gossip *g);
/* A link to peer_id is up (outbound: we dialled it). Our subscriptions go
 * out to it. A peer seen before keeps its score. */
SL_MUST_CHECK int sl_gossip_add_peer(sl_gossip *g, const char *peer_id, int outbound);
SL_MUST_CHECK int sl_gossip_remove_peer(sl_gossip *g, const char *peer_id);
/* One RPC (a GOSSIP frame's payload) from peer_id. A malformed or hostile
 * RPC is refused (REFUSED event, score) and returns its code; the router
 * stays usable either way. */
int sl_gossip_receive(sl_gossip *g, const char *peer_id, const uint8_t *rpc, size_t len);
SL_MUST_CHECK int sl_gossip_subscribe(sl_gossip *g, const char *topic);
SL_MUST_CHECK int sl_gossip_unsubscribe(sl_gossip *g, const char *topic);
/* Messages on topic wait for sl_gossip_validated (VALIDATE events) when on. */
SL_MUST_CHECK int sl_gossip_set_validation(sl_gossip *g, const char *topic, int on);
/* Signs and sends a message. id gets its id (SL_GOSSIP_MAX_ID bytes),
 * *recipients how many peers it went to. SL_EGOSSIP_NO_PEERS (nothing
 * kept or sent) when none could receive it, unless allow_no_peers. */
SL_MUST_CHECK int sl_gossip_publish(sl_gossip *g, const char *topic, const uint8_t *data,
                                    size_t len, int allow_no_peers, uint8_t *id, size_t *id_len,
                                    size_t *recipients);
/* The application's verdict on a VALIDATE event (enum sl_gossip_verdict). */
int sl_gossip_validated(sl_gossip *g, uint32_t handle, int verdict);
/* Advances time: validation timeouts, and the heartbeat when it is due. */
void sl_gossip_tick(sl_gossip *g, uint64_t now_ms);
/* P5: the application's score for a peer (kept across reconnects). */
SL_MUST_CHECK int sl_gossip_set_app_score(sl_gossip *g, const char *peer_id, double score);
/* Our signed peer record for peer_id, offered in peer exchange (PRUNE). */
SL_MUST_CHECK int sl_gossip_set_peer_record(sl_gossip *g, const char *peer_id,
                                            const uint8_t *envelope, size_t len);
SL_MUST_CHECK int sl_gossip_set_topic_params(sl_gossip *g, const char *topic,
                                             const sl_gossip_topic_params *tp);
/* 1 and *ev filled while events are queued, else 0. */
int sl_gossip_next(sl_gossip *g, sl_gossip_event *ev);

double sl_gossip_score(sl_gossip *g, const char *peer_id);
void sl_gossip_get_stats(const sl_gossip *g, sl_gossip_stats *out);
/* Peers by id, written as NUL-separated peer ids into out (cap bytes);
 * returns how many, or SL_EBUFSIZE. */
int sl_gossip_mesh(const sl_gossip *g, const char *topic, char *out, size_t cap);
int sl_gossip_subscribers(const sl_gossip *g, const char *topic, char *out, size_t cap);
/* Topics we are subscribed to, NUL-separated. */
int sl_gossip_topics(const sl_gossip *g, char *out, size_t cap);
int sl_gossip_is_subscribed(const sl_gossip *g, const char *topic);
/* For a connection manager: connected peers in the order to drop them,
 * lowest score first, leaving out any peer that is the last mesh member of
 * a topic we subscribe to (dropping it would cut us off from the topic).
 * NUL-separated into out; returns how many, or SL_EBUFSIZE. */
int sl_gossip_prune_order(sl_gossip *g, char *out, size_t cap);

/* --------------------------------------------------------------- discovery */

/* Multiaddrs (text <-> binary) for the protocols Starling announces and
 * dials: ip4, tcp, udp, dns, dns4, dns6, tls, ws, wss, quic-v1, p2p,
 * p2p-circuit, webrtc, webrtc-direct. Anything else is SL_EMULTIADDR. */
#define SL_MULTIADDR_MAX_BYTES 256
#define SL_MULTIADDR_MAX_TEXT 2048 /* the longest text of SL_MULTIADDR_MAX_BYTES */
SL_MUST_CHECK int sl_multiaddr_from_string(const char *text, size_t text_len, uint8_t *out,
                                           size_t cap, size_t *len);
/* Writes the text form, NUL-terminated; returns its length, SL_EMULTIADDR
 * or SL_EBUFSIZE. */
SL_MUST_CHECK int sl_multiaddr_to_string(const uint8_t *bytes, size_t len, char *out, size_t cap);

/* Pubsub peer discovery (libp2p): the topic, and its announcement
 * Peer { publicKey, addrs }. Address lists are text: '\n'-separated in,
 * NUL-separated out (addresses we do not read are skipped). */
#define SL_DISCOVERY_TOPIC "_peer-discovery._p2p._pubsub"
#define SL_DISCOVERY_MAX_ADDRS 16
#define SL_DISCOVERY_MAX_BYTES 8192
/* SL_EMULTIADDR for an address that does not parse, SL_EINVAL past
 * SL_DISCOVERY_MAX_ADDRS, SL_EBUFSIZE if out is too small. */
SL_MUST_CHECK int sl_discovery_encode(const uint8_t pk[SL_PUBLIC_KEY_BYTES], const char *addrs,
                                      uint8_t *out, size_t cap, size_t *len);
/* The number of addresses written to addrs, or SL_EDISCOVERY (not a Peer
 * with an Ed25519 key, more than SL_DISCOVERY_MAX_ADDRS addresses, too
 * large) / SL_EBUFSIZE. The key is not checked to be a curve point. */
SL_MUST_CHECK int sl_discovery_decode(const uint8_t *in, size_t len,
                                      uint8_t pk[SL_PUBLIC_KEY_BYTES], char *addrs, size_t cap);

/* libp2p signed peer records (Envelope, domain "libp2p-peer-record"), as
 * carried in peer exchange. seal: this identity's record of its addresses
 * with sequence number seq. open: checks the signature with the key the
 * envelope carries and that the record names that key's peer id; returns
 * the number of addresses written, or SL_EPEER_RECORD / SL_EBUFSIZE. */
#define SL_PEER_RECORD_MAX_BYTES 8192
SL_MUST_CHECK int sl_peer_record_seal(const sl_identity *id, uint64_t seq, const char *addrs,
                                      uint8_t *out, size_t cap, size_t *len);
SL_MUST_CHECK int sl_peer_record_open(const uint8_t *in, size_t len,
                                      uint8_t pk[SL_PUBLIC_KEY_BYTES], uint64_t *seq, char *addrs,
                                      size_t cap);

/* ----------------------------------------------------------------- orders */

/* Signed orderbook messages (docs/protocol.md §9): an order, an update (a
 * new order replacing one of the same maker's) and a cancel, in one
 * canonical big-endian encoding, signed by the maker's Ed25519 key over
 * "starling-order/1" || body. An order's id is SHA-256(body). Amounts and
 * prices are integers in minor units; there is no floating point. */
#define SL_ORDER_ASSET_MAX 12 /* asset id: 1-12 of A-Z, 0-9 */
#define SL_ORDER_DATA_MAX 256 /* the opaque application field */
#define SL_ORDER_ID_BYTES 32
#define SL_ORDER_MAX_BYTES 512 /* the largest encoded message */
#define SL_ORDER_MAX_LIFE_MS 86400000ull
#define SL_ORDER_SKEW_MS 120000ull /* default clock skew window */

enum sl_order_kind { SL_ORDER_CREATE = 1, SL_ORDER_CANCEL = 2, SL_ORDER_UPDATE = 3 };
enum sl_order_side { SL_ORDER_BID = 0, SL_ORDER_ASK = 1 };

typedef struct sl_order {
  int kind;                           /* enum sl_order_kind */
  uint8_t maker[SL_PUBLIC_KEY_BYTES]; /* set by sl_order_seal from the identity */
  char base[SL_ORDER_ASSET_MAX + 1];  /* create/update */
  char quote[SL_ORDER_ASSET_MAX + 1];
  int side;                             /* enum sl_order_side */
  uint64_t price, amount, min_fill;     /* minor units; price per whole base unit */
  uint64_t created_ms, expires_ms, seq; /* seq: per maker, rising */
  uint8_t target[SL_ORDER_ID_BYTES]; /* update: the order replaced; cancel: the order cancelled */
  uint8_t data[SL_ORDER_DATA_MAX];
  size_t data_len;
  uint8_t id[SL_ORDER_ID_BYTES];         /* SHA-256 of the body (set by seal and open) */
  uint8_t signature[SL_SIGNATURE_BYTES]; /* set by seal, checked by open */
} sl_order;

/* Encodes o (its maker taken from id) into out and signs it; sets
 * o->maker, o->id and o->signature. SL_EORDER_* if a field is out of its
 * shape (sl_order_check's shape rules), SL_EBUFSIZE if cap is short. */
SL_MUST_CHECK int sl_order_seal(sl_order *o, const sl_identity *id, uint8_t *out, size_t cap,
                                size_t *len);
/* Decodes and verifies one message: SL_EORDER_MALFORMED (encoding, or
 * trailing bytes), SL_EORDER_PAIR / SL_EORDER_RANGE (shape),
 * SL_EORDER_SIGNATURE. */
SL_MUST_CHECK int sl_order_open(const uint8_t *in, size_t len, sl_order *o);
/* The checks that need the time: expiry (past, or more than 24 h after
 * creation) and creation within skew_ms of now. 0 or SL_EORDER_*. */
SL_MUST_CHECK int sl_order_check_time(const sl_order *o, uint64_t now_ms, uint64_t skew_ms);

/* ------------------------------------------------------------------ book */

/* One pair's book (sans-IO: the time comes in with every call). Orders are
 * kept in price-time priority, time being the maker's created_ms (ties by
 * id), so that every peer holding the same orders holds the same book
 * whatever the order they arrived in. */
typedef struct sl_book sl_book;

typedef struct sl_book_limits {
  uint32_t max_orders;         /* in the book (default 100000); also bounds makers, and
                                  cancel and replacement marks (twice this) */
  uint32_t max_open_per_maker; /* default 100 */
  uint32_t maker_rate;         /* messages a second per maker (default 20) ... */
  uint32_t maker_burst;        /* ... after a burst of this many (default 100) */
  uint64_t maker_silence_ms;   /* no message or keep-alive this long: its orders go (90000) */
} sl_book_limits;

void sl_book_limits_default(sl_book_limits *l);

enum sl_book_reason {
  SL_BOOK_CANCELLED = 1,
  SL_BOOK_EXPIRED,
  SL_BOOK_REPLACED,
  SL_BOOK_FILLED,
  SL_BOOK_MAKER_GONE,
};

typedef struct sl_book_removal {
  uint8_t id[SL_ORDER_ID_BYTES];
  int reason; /* enum sl_book_reason */
} sl_book_removal;

typedef struct sl_book_level {
  uint64_t price, amount; /* amount: what rests at this price */
  uint32_t orders;
} sl_book_level;

typedef struct sl_book_fill {
  uint8_t id[SL_ORDER_ID_BYTES];
  uint64_t price, amount;
} sl_book_fill;

/* base and quote: the pair's asset ids. lim NULL = defaults. */
SL_MUST_CHECK int sl_book_new(sl_book **out, const char *base, const char *quote,
                              const sl_book_limits *lim);
void sl_book_free(sl_book *b);
/* An opened message (sl_order_open) for this pair, with its bytes (kept
 * for sl_book_get and for peers that sync; NULL and 0 keeps none).
 * Create: added unless
 * known, cancelled or replaced already. Update: replaces its target (the
 * same maker's; a later-arriving target stays out) unless a higher seq
 * replaced it first. Cancel: removes its target, and keeps a tombstone
 * until the order would have expired. 0, or the reason it was refused:
 * SL_EORDER_PAIR, _EXPIRED, _LIMIT, _STALE, _UNKNOWN (cancel of an order
 * of another maker), _CANCELLED; 1 if it was known already. */
int sl_book_apply(sl_book *b, const sl_order *o, const uint8_t *msg, size_t msg_len,
                  uint64_t now_ms);
/* A maker's keep-alive (any accepted message counts as one too). */
void sl_book_keepalive(sl_book *b, const uint8_t maker[SL_PUBLIC_KEY_BYTES], uint64_t now_ms);
/* Expiry, tombstones and silent makers, as of now_ms. */
void sl_book_tick(sl_book *b, uint64_t now_ms);
/* 1 and *out filled while removals are queued (reason and id), else 0. */
int sl_book_next_removed(sl_book *b, sl_book_removal *out);

/* An order in the book into *out (with its data and signature when its
 * message was kept). 0 or SL_EORDER_UNKNOWN. */
int sl_book_get(const sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES], sl_order *out);
/* The order's signed message as applied (valid until the order leaves). */
int sl_book_message(const sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES], const uint8_t **msg,
                    size_t *len);
/* What still rests of an order (its amount less fills), 0 if absent. */
uint64_t sl_book_remaining(const sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES]);
size_t sl_book_count(const sl_book *b);
/* The id of the order at position k of side in priority order (0 =
 * best), or NULL. */
const uint8_t *sl_book_at(const sl_book *b, int side, size_t k);
/* Up to max price levels of side, best first; returns how many. */
size_t sl_book_depth(const sl_book *b, int side, sl_book_level *out, size_t max);
/* The resting orders a taker's order would fill, in priority order: the
 * taker buys (taker_side BID) from asks priced at most limit, or sells to
 * bids priced at least limit (limit 0: any price), up to amount; orders of
 * `taker` are skipped, and an order is filled partly only down to its
 * min fill. Writes up to cap fills; returns how many. The book is not
 * changed (sl_book_filled does that once a trade completes). */
size_t sl_book_match(const sl_book *b, int taker_side, uint64_t amount, uint64_t limit,
                     const uint8_t taker[SL_PUBLIC_KEY_BYTES], sl_book_fill *out, size_t cap);
/* amount of an order traded: it rests with less, or goes (FILLED). */
SL_MUST_CHECK int sl_book_filled(sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES], uint64_t amount);

/* ------------------------------------------------------- reconciliation */

/* Range-based set reconciliation, wire-compatible with Negentropy protocol
 * version 1 (docs/protocol.md §9.4). Sans-IO: one side initiates, the
 * sides exchange messages until the initiator's sl_neg_reconcile returns
 * 1; along the way the initiator learns the ids it has that the other
 * lacks (have) and the reverse (need). */
#define SL_NEG_VERSION 0x61
#define SL_NEG_ID_BYTES 32
#define SL_NEG_MIN_FRAME 4096             /* the smallest frame limit (as in the reference) */
#define SL_NEG_MAX_MESSAGE (256u * 1024u) /* the largest message accepted */
#define SL_NEG_DEFAULT_ROUNDS 64

typedef struct sl_neg_item {
  uint64_t ts; /* any order key; UINT64_MAX is reserved (infinity) */
  uint8_t id[SL_NEG_ID_BYTES];
} sl_neg_item;

typedef struct sl_neg sl_neg;

/* A reconciler over a copy of items (any order; sorted here). frame_limit
 * caps every message it writes (0: no cap, else at least
 * SL_NEG_MIN_FRAME). SL_EINVAL for a duplicate item or ts UINT64_MAX. */
SL_MUST_CHECK int sl_neg_new(sl_neg **out, const sl_neg_item *items, size_t n, size_t frame_limit);
void sl_neg_free(sl_neg *g);
/* Rounds (messages received) before SL_ESYNC_ROUNDS; 0: the default. */
void sl_neg_set_max_rounds(sl_neg *g, unsigned rounds);
/* Ranges of fewer than `leaf` items are answered with their ids, larger
 * ones split into 16 fingerprinted buckets (0: 32, the reference's
 * choice; both are valid Negentropy v1). Smaller leaves send fewer ids per
 * difference for one more round. */
void sl_neg_set_leaf(sl_neg *g, size_t leaf);
size_t sl_neg_size(const sl_neg *g);
/* The initiator's first message (valid until the next call). */
SL_MUST_CHECK int sl_neg_initiate(sl_neg *g, const uint8_t **msg, size_t *len);
/* A message from the other side: 0 and the answer to send in *msg /
 * *len; 1 when the initiator is done (nothing to send); or SL_ESYNC_*.
 * After each call sl_neg_have / sl_neg_need hold what it found (ids of
 * SL_NEG_ID_BYTES, back to back; the initiator only). With a frame limit
 * an id may be reported in more than one round. */
SL_MUST_CHECK int sl_neg_reconcile(sl_neg *g, const uint8_t *in, size_t len, const uint8_t **msg,
                                   size_t *out_len);
const uint8_t *sl_neg_have(const sl_neg *g, size_t *n);
const uint8_t *sl_neg_need(const sl_neg *g, size_t *n);

/* A book's sync set: each resting order (created, id) and each live
 * tombstone's message (a cancel, or an update that replaced an order and
 * no longer rests itself). Writes up to cap items; returns how many there
 * are. */
size_t sl_book_items(const sl_book *b, sl_neg_item *out, size_t cap);
/* The signed message of an item of the sync set. */
int sl_book_sync_message(const sl_book *b, const uint8_t id[SL_ORDER_ID_BYTES], const uint8_t **msg,
                         size_t *len);
/* Ids of one side in priority order (back to back, up to cap); returns
 * how many rest on that side. */
size_t sl_book_list(const sl_book *b, int side, uint8_t *ids, size_t cap);
/* SHA-256 over both sides in priority order (side, id, what remains):
 * two books with the same digest hold the same orders in the same order. */
void sl_book_digest(const sl_book *b, uint8_t out[32]);

/* An order message from the network, opened, checked and applied: the
 * signature, the shape, the time (live deltas: created within skew_ms of
 * now; synced != 0: any age, not from the future, not expired, and no
 * maker rate limit, for it was asked for) and the
 * book's rules. 0, 1 (already here), or the reason. *id (if given) gets
 * the message's id once it opened. */
int sl_book_receive(sl_book *b, const uint8_t *msg, size_t len, uint64_t now_ms, uint64_t skew_ms,
                    int synced, uint8_t id[SL_ORDER_ID_BYTES]);

/* One peer's sync session for a book (docs/protocol.md §9.4): ORDERBOOK
 * frames in and out, sans-IO. A peer starts one (Negentropy, or the
 * snapshot fallback); the other answers with its own session. */
typedef struct sl_booksync sl_booksync;

typedef struct sl_booksync_config {
  size_t frame_limit;  /* bytes in one frame (200000; 4096..SL_NEG_MAX_MESSAGE) */
  unsigned max_rounds; /* Negentropy rounds before SL_ESYNC_ROUNDS (64) */
  size_t max_asked;    /* ids waited for at once (200000) */
  uint64_t skew_ms;    /* how far in the future a synced message may be created (120000) */
  size_t leaf;         /* Negentropy ranges listed below this many items (sl_neg_set_leaf; 4) */
} sl_booksync_config;

typedef struct sl_booksync_stats {
  uint64_t bytes_in, bytes_out;
  uint32_t rounds;   /* Negentropy round trips (or snapshot pages) we started */
  uint32_t received; /* orders and tombstones applied */
  uint32_t sent;     /* orders and tombstones served */
  uint32_t refused;
  int done; /* our last reconciliation agreed, or our snapshot ended */
} sl_booksync_stats;

void sl_booksync_config_default(sl_booksync_config *c);
SL_MUST_CHECK int sl_booksync_new(sl_booksync **out, sl_book *b, const sl_booksync_config *cfg);
void sl_booksync_free(sl_booksync *s);
/* Begins a reconciliation (snapshot 0) or a snapshot transfer (1). */
SL_MUST_CHECK int sl_booksync_start(sl_booksync *s, int snapshot);
/* One ORDERBOOK_SYNC / _REQUEST / _RESPONSE payload from the peer. 0, or
 * the first fault (SL_ESYNC_*, SL_EORDER_* of a message the peer should
 * not have sent): the caller scores the peer. What is valid in a frame is
 * applied even when other parts are refused. */
int sl_booksync_receive(sl_booksync *s, int frame_type, const uint8_t *payload, size_t len,
                        uint64_t now_ms);
/* The next frame to send: 1 and its type and payload (valid until the
 * next call), or 0. */
int sl_booksync_next(sl_booksync *s, int *frame_type, const uint8_t **payload, size_t *len);
/* Ids the last sl_booksync_receive added to the book (back to back). */
const uint8_t *sl_booksync_applied(const sl_booksync *s, size_t *n);
/* Ids asked for and not yet received. */
size_t sl_booksync_waiting(const sl_booksync *s);
const sl_booksync_stats *sl_booksync_stats_of(const sl_booksync *s);

/* ------------------------------------------------------------------ PSBT */

/* Partially Signed Bitcoin Transactions, version 0 (BIP 174) and 2
 * (BIP 370), parsed and validated (docs/protocol.md §10). The core reads
 * what a counterparty sends and checks it; signing belongs to the
 * application's wallet. */
#define SL_PSBT_MAX_BYTES (4u * 1024u * 1024u)

typedef struct sl_psbt sl_psbt;

typedef struct sl_psbt_input {
  uint8_t prev_txid[32]; /* as serialised (little-endian) */
  uint32_t prev_index, sequence;
  uint32_t time_locktime, height_locktime, sighash; /* v2 lock times; SIGHASH_TYPE */
  uint8_t has_time_locktime, has_height_locktime, has_sighash, has_witness_utxo; /* 0 or 1 */
  uint64_t witness_amount; /* the witness UTXO's amount, when given */
  unsigned partial_sigs;
} sl_psbt_input;

typedef struct sl_psbt_output {
  uint64_t amount; /* satoshi */
  const uint8_t *script;
  size_t script_len;
} sl_psbt_output;

/* 0 and *out (free with sl_psbt_free; scripts point into it), or
 * SL_EPSBT_*: MALFORMED, DUPLICATE, KEY, VALUE, VERSION, TX. */
SL_MUST_CHECK int sl_psbt_parse(const uint8_t *in, size_t len, sl_psbt **out);
void sl_psbt_free(sl_psbt *p);
int sl_psbt_version(const sl_psbt *p); /* 0 or 2 */
uint32_t sl_psbt_tx_version(const sl_psbt *p);
size_t sl_psbt_input_count(const sl_psbt *p);
size_t sl_psbt_output_count(const sl_psbt *p);
const sl_psbt_input *sl_psbt_input_at(const sl_psbt *p, size_t k);
const sl_psbt_output *sl_psbt_output_at(const sl_psbt *p, size_t k);
/* The transaction's lock time (v2: BIP 370's determination; v0: the
 * unsigned tx's), or SL_EPSBT_LOCKTIME. */
int sl_psbt_locktime(const sl_psbt *p, uint32_t *out);
/* 1 if the outputs paying `script` add up to at least `amount`, else 0:
 * the check of a counterparty's PSBT against the agreed terms. */
int sl_psbt_pays(const sl_psbt *p, const uint8_t *script, size_t script_len, uint64_t amount);
/* BIP 174's Combiner: every key-value pair of both PSBTs (of the same
 * transaction, else SL_EPSBT_MISMATCH), each key once (x's value on a
 * conflict), each map's keys in lexicographic order. *out is malloc'd:
 * the caller frees it. */
SL_MUST_CHECK int sl_psbt_combine(const uint8_t *x, size_t x_len, const uint8_t *y, size_t y_len,
                                  uint8_t **out, size_t *out_len);

/* ----------------------------------------------------------------- trades */

/* A trade between an order's maker and a taker (docs/protocol.md §11): a
 * sans-IO state machine. Messages and the time go in; messages to send,
 * the state and what the local wallet must do next come out. Every message
 * is signed by its sender's identity and names the trade and its step; the
 * machine keeps what the peer has not answered yet and sends it again
 * every resend_ms, so a lossy or restarted link still ends the trade. The
 * core never holds Bitcoin keys: the wallet builds, signs and broadcasts. */
#define SL_TRADE_ID_BYTES 32
#define SL_TRADE_NONCE_BYTES 16
#define SL_TRADE_SCRIPT_MAX 128 /* an output script the trade pays (P2TR: 34) */
#define SL_TRADE_TEXT_MAX 200   /* a reject or cancel reason's text */
#define SL_TRADE_PSBT_MAX (SL_FRAME_DEFAULT_MAX_PAYLOAD - 1024u)
#define SL_TRADE_DUPLICATE 1 /* sl_trade_receive: a step seen already, nothing changed */

enum sl_trade_state {
  SL_TRADE_PROPOSED = 1,
  SL_TRADE_ACCEPTED,
  SL_TRADE_MAKER_PSBT_SENT,
  SL_TRADE_TAKER_PSBT_SENT,
  SL_TRADE_MAKER_SIGNED,
  SL_TRADE_TAKER_SIGNED,
  SL_TRADE_COMPLETED, /* the terminal states from here */
  SL_TRADE_REJECTED,
  SL_TRADE_FAILED,
  SL_TRADE_CANCELED,
  SL_TRADE_EXPIRED
};
enum sl_trade_role { SL_TRADE_MAKER = 0, SL_TRADE_TAKER = 1 };
/* The steps, in order; the last two end a trade early. */
enum sl_trade_step {
  SL_TRADE_STEP_PROPOSE = 1, /* taker: TRADE_PROPOSE */
  SL_TRADE_STEP_ACCEPT,      /* maker: TRADE_ACCEPT, with the maker's output */
  SL_TRADE_STEP_PSBT,        /* maker: PSBT_CREATE, its funding PSBT */
  SL_TRADE_STEP_UPDATE,      /* taker: PSBT_UPDATE, with the taker's inputs */
  SL_TRADE_STEP_MAKER_SIGN,  /* maker: PSBT_SIGN, the maker's signatures */
  SL_TRADE_STEP_TAKER_SIGN,  /* taker: TRADE_SIGNATURE, both parties' signatures */
  SL_TRADE_STEP_BROADCAST,   /* maker: PSBT_BROADCAST, the txid */
  SL_TRADE_STEP_REJECT,      /* maker: TRADE_REJECT */
  SL_TRADE_STEP_CANCEL       /* either: TRADE_CANCEL, with the state it ends in */
};
/* What the local application or wallet must do for the trade to go on. */
enum sl_trade_want {
  SL_TRADE_WANT_NOTHING = 0,
  SL_TRADE_WANT_DECISION,  /* maker: sl_trade_accept or sl_trade_reject */
  SL_TRADE_WANT_PSBT,      /* maker: a PSBT with its inputs paying both outputs */
  SL_TRADE_WANT_UPDATE,    /* taker: sl_trade_psbt with the taker's inputs added */
  SL_TRADE_WANT_SIGNATURE, /* sign our inputs of sl_trade_psbt */
  SL_TRADE_WANT_BROADCAST  /* maker: finalize, extract and broadcast sl_trade_psbt */
};

typedef struct sl_trade_config {
  uint64_t step_timeout_ms; /* a step not done by then ends the trade (30000) */
  uint64_t resend_ms;       /* what the peer has not answered goes again (5000) */
  uint64_t skew_ms;         /* a proposal's clock window (120000) */
  size_t psbt_max;          /* bytes of one PSBT (SL_TRADE_PSBT_MAX) */
} sl_trade_config;

/* An output the trade's transaction must pay: fixed by the taker's
 * proposal (the taker's) and the maker's acceptance (the maker's). */
typedef struct sl_trade_output {
  uint8_t script[SL_TRADE_SCRIPT_MAX];
  size_t script_len;
  uint64_t value; /* satoshi */
} sl_trade_output;

typedef struct sl_trade_info {
  uint8_t id[SL_TRADE_ID_BYTES], order_id[SL_ORDER_ID_BYTES];
  uint8_t maker[SL_PUBLIC_KEY_BYTES], taker[SL_PUBLIC_KEY_BYTES];
  int role, state, want;
  int reason;      /* why it ended: 0 (completed) or SL_ETRADE_* / SL_EPSBT_* */
  int step;        /* the last step done by either side */
  uint64_t amount; /* of the order's base asset */
  uint64_t created_ms, state_ms, deadline_ms; /* proposal; state entered; step timeout */
  sl_trade_output maker_out, taker_out;       /* maker_out once accepted */
  uint8_t txid[32];                           /* completed: as the wallet gave it */
  char text[SL_TRADE_TEXT_MAX + 1];           /* a reject or cancel reason's text */
} sl_trade_info;

/* The head of a trade message, for routing it: its step, trade, sender
 * and (a proposal) the order. Shape only: nothing is verified. */
typedef struct sl_trade_head {
  int step;
  uint8_t trade[SL_TRADE_ID_BYTES], sender[SL_PUBLIC_KEY_BYTES], order[SL_ORDER_ID_BYTES];
} sl_trade_head;

typedef struct sl_trade sl_trade;

void sl_trade_config_default(sl_trade_config *c);
/* 0 and the head, or SL_ETRADE_MALFORMED. */
int sl_trade_peek(const uint8_t *msg, size_t len, sl_trade_head *out);
/* The frame type a step travels in (TRADE_* or PSBT_*), or 0. */
int sl_trade_frame_type(int step);
/* Taker: proposes to take `amount` of `order` (an order or update, as
 * opened from its message) and be paid `out`; queues TRADE_PROPOSE. The
 * nonce makes the trade id: random, never reused. */
SL_MUST_CHECK int sl_trade_propose(sl_trade **out, const sl_trade_config *cfg,
                                   const sl_identity *me, const sl_order *order, uint64_t amount,
                                   const sl_trade_output *taker_out,
                                   const uint8_t nonce[SL_TRADE_NONCE_BYTES], uint64_t now_ms);
/* Maker: a TRADE_PROPOSE for our `order`, of which `remaining` is left.
 * SL_ETRADE_* when it is not a proposal we can take: malformed, forged,
 * not our order, amount outside [min fill, remaining], order expired or
 * proposal outside the clock window. */
SL_MUST_CHECK int sl_trade_incoming(sl_trade **out, const sl_trade_config *cfg,
                                    const sl_identity *me, const sl_order *order,
                                    uint64_t remaining, const uint8_t *msg, size_t len,
                                    uint64_t now_ms);
void sl_trade_free(sl_trade *t);
/* Maker's decision. */
SL_MUST_CHECK int sl_trade_accept(sl_trade *t, const sl_trade_output *maker_out, uint64_t now_ms);
SL_MUST_CHECK int sl_trade_reject(sl_trade *t, const char *text, uint64_t now_ms);
/* Either side, until it has given its signatures: ends the trade Canceled. */
SL_MUST_CHECK int sl_trade_cancel(sl_trade *t, const char *text, uint64_t now_ms);
/* The wallet's PSBT for WANT_PSBT, WANT_UPDATE or WANT_SIGNATURE. It must
 * pay both outputs (SL_ETRADE_TERMS), keep the maker's inputs (update)
 * and be the same transaction (signatures: SL_ETRADE_TERMS); a refused
 * PSBT changes nothing and the wallet may try again. */
SL_MUST_CHECK int sl_trade_give_psbt(sl_trade *t, const uint8_t *psbt, size_t len, uint64_t now_ms);
/* Maker, WANT_BROADCAST: the wallet broadcast the transaction. */
SL_MUST_CHECK int sl_trade_give_txid(sl_trade *t, const uint8_t txid[32], uint64_t now_ms);
/* One message from the counterparty: 0 applied, SL_TRADE_DUPLICATE, or
 * the reason it was refused. A PSBT from the counterparty that breaks the
 * terms also ends the trade Failed (and says so to the peer): its code is
 * returned so that the caller can score the peer. */
int sl_trade_receive(sl_trade *t, const uint8_t *msg, size_t len, uint64_t now_ms);
/* Timeouts and resends. */
void sl_trade_tick(sl_trade *t, uint64_t now_ms);
/* What the peer has not answered goes again now (a link came back). */
void sl_trade_resend(sl_trade *t, uint64_t now_ms);
/* When the trade next needs a tick (UINT64_MAX: never, it has ended). */
uint64_t sl_trade_wake(const sl_trade *t);
/* The next message to send: 1 and its frame type and bytes (valid until
 * the next call on t), or 0. */
int sl_trade_next(sl_trade *t, int *frame_type, const uint8_t **msg, size_t *len);
const sl_trade_info *sl_trade_info_of(const sl_trade *t);
/* The PSBT the wallet acts on now (WANT_UPDATE, _SIGNATURE, _BROADCAST). */
const uint8_t *sl_trade_psbt(const sl_trade *t, size_t *len);
/* Everything a trade needs to go on after a restart; *out is malloc'd. */
SL_MUST_CHECK int sl_trade_save(const sl_trade *t, uint8_t **out, size_t *len);
/* A saved trade, for `me` (SL_ETRADE_SENDER if it was another's). */
SL_MUST_CHECK int sl_trade_load(sl_trade **out, const sl_trade_config *cfg, const sl_identity *me,
                                const uint8_t *in, size_t len);

/* ------------------------------------------------------------------- tips */

/* TIP_META (docs/protocol.md §12): an EIP-712 meta-transaction signed by
 * the application's wallet, in an envelope signed by the sender. The core
 * checks size, envelope, clock, deadline and replays (a 64-nonce window a
 * sender); the wallet signature is the application's to verify. */
#define SL_TIP_MAX_BYTES (256u * 1024u)
#define SL_TIP_SIG_MAX 132 /* a wallet signature's bytes (65 for secp256k1) */

typedef struct sl_tips_config {
  uint64_t skew_ms;   /* envelope clock window (120000) */
  size_t max_bytes;   /* message cap (SL_TIP_MAX_BYTES) */
  size_t max_senders; /* senders whose nonces are remembered (10000) */
} sl_tips_config;

typedef struct sl_tip {
  uint8_t sender[SL_PUBLIC_KEY_BYTES];
  uint64_t sent_ms, nonce, deadline_s, chain_id;
  const char *meta; /* the typed data (JSON), inside the message */
  size_t meta_len;
  const uint8_t *signature; /* the wallet's, inside the message */
  size_t signature_len;
} sl_tip;

typedef struct sl_tips sl_tips;

void sl_tips_config_default(sl_tips_config *c);
SL_MUST_CHECK int sl_tips_new(sl_tips **out, const sl_tips_config *cfg);
void sl_tips_free(sl_tips *t);
/* A TIP_META message: the typed data (JSON) and the wallet's signature,
 * sealed by `id`; *out is malloc'd. SL_ETIP_SIZE past the cap. */
SL_MUST_CHECK int sl_tip_seal(const sl_identity *id, const char *meta, size_t meta_len,
                              const uint8_t *wallet_sig, size_t sig_len, uint64_t now_ms,
                              uint8_t **out, size_t *len);
/* 0 and *out (pointing into msg), or SL_ETIP_*. A tip that passes is
 * remembered: the same nonce from the same sender is a replay after. */
int sl_tips_receive(sl_tips *t, const uint8_t *msg, size_t len, uint64_t now_ms, sl_tip *out);

#ifdef __cplusplus
}
#endif
#endif /* STARLING_H */
