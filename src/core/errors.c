/* errors.c — names and messages for the SL_E* codes. */
#include "starling.h"

typedef struct {
  int code;
  const char *name;
  const char *message;
} sl_error_entry;

static const sl_error_entry errors[] = {
    {SL_OK, "OK", "success"},
    {SL_EINVAL, "INVALID_ARGUMENT", "invalid argument"},
    {SL_ENOMEM, "OUT_OF_MEMORY", "out of memory"},
    {SL_EBUFSIZE, "BUFFER_TOO_SMALL", "output buffer too small"},
    {SL_ECRYPTO, "CRYPTO_INIT", "libsodium failed to initialise"},
    {SL_ESTATE, "BAD_STATE", "operation not valid in the current state"},
    {SL_EPEERID, "PEER_ID_INVALID", "not a valid Ed25519 libp2p peer id"},
    {SL_EPUBKEY, "PUBLIC_KEY_INVALID", "not a valid Ed25519 public key"},
    {SL_EFRAME_EMPTY, "FRAME_EMPTY", "frame length is 0: a frame needs at least a type byte"},
    {SL_EFRAME_TOO_LARGE, "FRAME_TOO_LARGE", "frame payload exceeds the configured maximum"},
    {SL_EFRAME_TYPE, "FRAME_UNKNOWN_TYPE", "unknown frame type"},
    {SL_EFRAME_FAILED, "FRAME_STREAM_FAILED", "frame stream already failed"},
    {SL_EHS_SHORT, "HANDSHAKE_SHORT", "handshake message too short"},
    {SL_EHS_DECRYPT, "HANDSHAKE_DECRYPT", "handshake message failed authentication"},
    {SL_EHS_LOW_ORDER, "HANDSHAKE_LOW_ORDER", "peer sent a low-order X25519 point"},
    {SL_EHS_PAYLOAD, "HANDSHAKE_PAYLOAD", "malformed Noise handshake payload"},
    {SL_EHS_SIGNATURE, "HANDSHAKE_SIGNATURE", "signature does not verify"},
    {SL_EHS_TOO_LARGE, "HANDSHAKE_TOO_LARGE", "handshake message exceeds 65535 bytes"},
    {SL_EHS_FAILED, "HANDSHAKE_FAILED", "handshake already failed"},
    {SL_EHS_PEER, "HANDSHAKE_UNEXPECTED_PEER", "remote identity is not the expected peer"},
    {SL_ESESSION_DECRYPT, "SESSION_DECRYPT",
     "record failed authentication (tampered, replayed, reordered or truncated)"},
    {SL_ESESSION_SHORT, "SESSION_SHORT", "record shorter than its authentication tag"},
    {SL_ESESSION_TOO_LARGE, "SESSION_TOO_LARGE", "record exceeds 16 KiB"},
    {SL_ESESSION_NONCE, "SESSION_NONCE_EXHAUSTED", "nonce counter exhausted"},
    {SL_ESESSION_FAILED, "SESSION_FAILED", "session already failed"},
    {SL_EJWT_TOO_LARGE, "JWT_TOO_LARGE", "token exceeds the size limit"},
    {SL_EJWT_MALFORMED, "JWT_MALFORMED", "token is not a well-formed JWT"},
    {SL_EJWT_ALG, "JWT_ALGORITHM", "token algorithm is not the one configured"},
    {SL_EJWT_SIGNATURE, "JWT_SIGNATURE", "token signature does not verify"},
    {SL_EJWT_EXPIRED, "JWT_EXPIRED", "token has expired or has no exp claim"},
    {SL_EJWT_NOT_YET_VALID, "JWT_NOT_YET_VALID", "token is not valid yet"},
    {SL_EJWT_AUDIENCE, "JWT_AUDIENCE", "token audience does not match"},
    {SL_EJWT_ISSUER, "JWT_ISSUER", "token issuer does not match"},
    {SL_EJWT_CLAIMS, "JWT_CLAIMS", "token lacks a valid userId or publicKey claim"},
    {SL_ESIG_TOO_LARGE, "MESSAGE_TOO_LARGE", "signaling message exceeds the size limit"},
    {SL_ESIG_MALFORMED, "MESSAGE_MALFORMED",
     "signaling message is not a JSON object of the expected shape"},
    {SL_ESIG_TYPE, "MESSAGE_TYPE", "unknown signaling message type"},
    {SL_ESIG_FIELD, "MESSAGE_FIELD", "a signaling message field is missing or malformed"},
    {SL_EURL, "HUB_URL_INVALID", "hub URL must be ws:// or wss:// with a host"},
    {SL_EINSECURE, "HUB_URL_INSECURE",
     "ws:// is only allowed to loopback unless allowInsecure is set"},
    {SL_EHUB_AUTH, "HUB_AUTH_FAILED", "the hub refused authentication"},
    {SL_EQUEUE_FULL, "QUEUE_FULL", "the link's send queue is full"},
    {SL_EGOSSIP_RPC, "GOSSIP_RPC_MALFORMED", "malformed pubsub RPC"},
    {SL_EGOSSIP_TOPIC, "GOSSIP_TOPIC_INVALID", "topic must be 1 to 256 bytes without a NUL"},
    {SL_EGOSSIP_LIMIT, "GOSSIP_LIMIT", "RPC or message exceeds a count or size limit"},
    {SL_EGOSSIP_SIGNATURE, "GOSSIP_SIGNATURE",
     "message is unsigned, badly signed or not in StrictSign form"},
    {SL_EGOSSIP_REPLAY, "GOSSIP_REPLAY", "message replays an old sequence number of its author"},
    {SL_EGOSSIP_INVALID, "GOSSIP_INVALID", "the topic's validator rejected the message"},
    {SL_EGOSSIP_UNSUBSCRIBED, "GOSSIP_UNSUBSCRIBED", "message on a topic we are not subscribed to"},
    {SL_EGOSSIP_NO_PEERS, "GOSSIP_NO_PEERS", "no peer could receive the message"},
    {SL_EGOSSIP_UNKNOWN_PEER, "GOSSIP_UNKNOWN_PEER", "no such gossip peer"},
    {SL_EMULTIADDR, "MULTIADDR_INVALID", "not a multiaddr, or a protocol Starling does not read"},
    {SL_EDISCOVERY, "DISCOVERY_MALFORMED", "malformed peer discovery announcement"},
    {SL_EPEER_RECORD, "PEER_RECORD_INVALID", "signed peer record malformed or badly signed"},
    {SL_EORDER_MALFORMED, "ORDER_MALFORMED", "not an order message in the canonical encoding"},
    {SL_EORDER_SIGNATURE, "ORDER_SIGNATURE", "order message not signed by its maker"},
    {SL_EORDER_PAIR, "ORDER_PAIR", "asset ids must be 1-12 of A-Z and 0-9, and differ"},
    {SL_EORDER_RANGE, "ORDER_RANGE",
     "price and amount must be positive, min fill at most the amount"},
    {SL_EORDER_EXPIRED, "ORDER_EXPIRED", "order expired, or expires more than 24 h after creation"},
    {SL_EORDER_SKEW, "ORDER_SKEW", "order created too far from now"},
    {SL_EORDER_LIMIT, "ORDER_LIMIT", "past a maker's cap on open orders or messages"},
    {SL_EORDER_STALE, "ORDER_STALE", "sequence number not above the maker's last"},
    {SL_EORDER_UNKNOWN, "ORDER_UNKNOWN", "no such order in the book"},
    {SL_EORDER_CANCELLED, "ORDER_CANCELLED", "the order was cancelled"},
    {SL_ESYNC_MALFORMED, "SYNC_MALFORMED", "not a well-formed orderbook sync message"},
    {SL_ESYNC_VERSION, "SYNC_VERSION", "the peer speaks another Negentropy version"},
    {SL_ESYNC_RANGE, "SYNC_RANGE", "sync ranges out of order or past infinity"},
    {SL_ESYNC_ROUNDS, "SYNC_ROUNDS", "sync did not agree within the round limit"},
    {SL_ESYNC_LIMIT, "SYNC_LIMIT", "sync message over the size limit"},
    {SL_ESYNC_UNASKED, "SYNC_UNASKED", "sync reply carried an order that was not asked for"},
    {SL_EPSBT_MALFORMED, "PSBT_MALFORMED",
     "not a PSBT (magic, lengths, truncated or trailing bytes)"},
    {SL_EPSBT_DUPLICATE, "PSBT_DUPLICATE_KEY", "a key appears twice in one PSBT map"},
    {SL_EPSBT_KEY, "PSBT_KEY", "PSBT key data of the wrong shape for its type"},
    {SL_EPSBT_VALUE, "PSBT_VALUE", "PSBT value of the wrong size or range for its type"},
    {SL_EPSBT_VERSION, "PSBT_VERSION",
     "PSBT field forbidden in this version, or a required one missing"},
    {SL_EPSBT_TX, "PSBT_UNSIGNED_TX",
     "the PSBT's unsigned transaction is malformed or not unsigned"},
    {SL_EPSBT_LOCKTIME, "PSBT_LOCKTIME", "the inputs' lock times cannot all be satisfied"},
    {SL_EPSBT_MISMATCH, "PSBT_MISMATCH", "the PSBTs are of different transactions"},
    {SL_ETRADE_MALFORMED, "TRADE_MALFORMED", "not a well-formed trade message"},
    {SL_ETRADE_SIGNATURE, "TRADE_SIGNATURE", "trade message not signed by its sender"},
    {SL_ETRADE_ID, "TRADE_ID", "the message names another trade"},
    {SL_ETRADE_SENDER, "TRADE_SENDER", "sent by someone other than the party whose step it is"},
    {SL_ETRADE_STEP, "TRADE_STEP", "a step the trade is not at"},
    {SL_ETRADE_STATE, "TRADE_STATE", "not allowed in the trade's state"},
    {SL_ETRADE_AMOUNT, "TRADE_AMOUNT",
     "amount outside what the order allows, or not the maker's order"},
    {SL_ETRADE_EXPIRED, "TRADE_EXPIRED",
     "the order expired, or the proposal is outside the clock window"},
    {SL_ETRADE_TERMS, "TRADE_TERMS",
     "the PSBT does not pay the agreed outputs or changed the transaction"},
    {SL_ETRADE_TIMEOUT, "TRADE_TIMEOUT", "a trade step took longer than its timeout"},
    {SL_ETRADE_CANCELED, "TRADE_CANCELED", "the trade was cancelled"},
    {SL_ETRADE_REJECTED, "TRADE_REJECTED", "the maker rejected the proposal"},
    {SL_ETIP_MALFORMED, "TIP_MALFORMED", "not a tip message, or its typed data lacks a field"},
    {SL_ETIP_SIGNATURE, "TIP_SIGNATURE", "tip envelope not signed by its sender"},
    {SL_ETIP_SIZE, "TIP_SIZE", "tip over the size cap"},
    {SL_ETIP_SKEW, "TIP_SKEW", "tip sent outside the clock window"},
    {SL_ETIP_EXPIRED, "TIP_EXPIRED", "the tip's deadline has passed"},
    {SL_ETIP_REPLAY, "TIP_REPLAY", "a tip nonce seen already, or too old"},
    {SL_EGOSSIP_GRAYLISTED, "GOSSIP_GRAYLISTED", "the peer is graylisted for its low score"},
};

static const sl_error_entry *find(int code) {
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
    if (errors[i].code == code) return &errors[i];
  return NULL;
}

const char *sl_strerror(int code) {
  const sl_error_entry *e = find(code);
  return e ? e->message : "unknown error";
}

const char *sl_errname(int code) {
  const sl_error_entry *e = find(code);
  return e ? e->name : "UNKNOWN";
}
