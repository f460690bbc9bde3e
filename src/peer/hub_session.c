/* hub_session.c — the peer's side of the hub protocol (docs/protocol.md
 * §5): auth, the signed challenge, join/leave, and handing every other
 * hub message to the peer logic. No sockets here: the host moves bytes. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if UINTPTR_MAX == 0xffffffffu
/* js-glue/hub-client.js reads sl_hub_session_event at these offsets on wasm32. */
_Static_assert(offsetof(sl_hub_session_event, kind) == 0 &&
                   offsetof(sl_hub_session_event, data) == 4 &&
                   offsetof(sl_hub_session_event, len) == 8 && sizeof(sl_hub_session_event) == 12,
               "js-glue/hub-client.js reads sl_hub_session_event at these offsets");
#endif

typedef struct event {
  int kind;
  char *data;
  size_t len;
} event;

struct sl_hub_session {
  const sl_identity *id;
  char *token;
  bool authenticated, failed;
  event *queue;
  size_t head, count, cap;
  char *last;
};

static bool is_loopback_host(const char *host, size_t len) {
  if (len == 9 && strncmp(host, "localhost", 9) == 0) return true;
  if (len == 5 && strncmp(host, "[::1]", 5) == 0) return true;
  if (len < 4 || strncmp(host, "127.", 4) != 0) return false;
  for (size_t i = 4; i < len; i++) /* 127.a.b.c: digits and dots only */
    if (!((host[i] >= '0' && host[i] <= '9') || host[i] == '.')) return false;
  return true;
}

int sl_hub_url_check(const char *url, int allow_insecure) {
  if (!url) return SL_EINVAL;
  bool secure = strncmp(url, "wss://", 6) == 0;
  if (!secure && strncmp(url, "ws://", 5) != 0) return SL_EURL;
  const char *host = url + (secure ? 6 : 5);
  size_t len = strcspn(host, "/?#");
  const char *at = memchr(host, '@', len);
  if (at) { /* credentials in the URL are not supported */
    return SL_EURL;
  }
  /* Strip the port: after the last ':' that is not inside [...]. */
  size_t hlen = len;
  if (host[0] == '[') {
    const char *close = memchr(host, ']', len);
    if (!close) return SL_EURL;
    hlen = (size_t)(close - host) + 1;
  } else {
    const char *colon = memchr(host, ':', len);
    if (colon) hlen = (size_t)(colon - host);
  }
  if (hlen == 0) return SL_EURL;
  if (secure || allow_insecure) return 0;
  return is_loopback_host(host, hlen) ? 0 : SL_EINSECURE;
}

static void push(sl_hub_session *s, int kind, char *data) {
  if (!data) return;
  if (sl__fifo_reserve((void **)&s->queue, sizeof *s->queue, &s->head, s->count, &s->cap, 16) !=
      0) {
    free(data); /* out of memory: drop rather than crash */
    return;
  }
  s->queue[s->head + s->count++] = (event){kind, data, strlen(data)};
}

static char *dup(const char *text, size_t len) {
  char *d = malloc(len + 1);
  if (d) {
    memcpy(d, text, len);
    d[len] = 0;
  }
  return d;
}

int sl_hub_session_new(sl_hub_session **out, const sl_identity *id, const char *token) {
  if (!out || !id || !token || !*token) return SL_EINVAL;
  *out = NULL;
  sl_hub_session *s = calloc(1, sizeof *s);
  if (!s || !(s->token = dup(token, strlen(token)))) {
    free(s);
    return SL_ENOMEM;
  }
  s->id = id;
  *out = s;
  return 0;
}

void sl_hub_session_free(sl_hub_session *s) {
  if (!s) return;
  for (size_t i = 0; i < s->count; i++)
    free(s->queue[s->head + i].data);
  free(s->queue);
  free(s->last);
  sodium_memzero(s->token, strlen(s->token));
  free(s->token);
  free(s);
}

int sl_hub_session_authenticated(const sl_hub_session *s) { return s->authenticated; }

int sl_hub_session_next(sl_hub_session *s, sl_hub_session_event *ev) {
  free(s->last);
  s->last = NULL;
  if (!s->count) return 0;
  event e = s->queue[s->head++];
  if (!--s->count) s->head = 0;
  s->last = e.data;
  *ev = (sl_hub_session_event){e.kind, e.data, e.len};
  return 1;
}

void sl_hub_session_opened(sl_hub_session *s) {
  cJSON *o = cJSON_CreateObject(), *p = o ? cJSON_AddObjectToObject(o, "payload") : NULL;
  if (p && cJSON_AddStringToObject(o, "type", "auth") &&
      cJSON_AddStringToObject(p, "token", s->token))
    push(s, SL_HUBS_SEND, cJSON_PrintUnformatted(o));
  cJSON_Delete(o);
}

/* Signs "starling-hub-challenge:" || nonce and queues the proof. */
static int answer_challenge(sl_hub_session *s, const cJSON *payload) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(payload, "nonce");
  uint8_t msg[sizeof SL_HUB_CHALLENGE_PREFIX - 1 + SL_HUB_NONCE_BYTES], sig[64];
  size_t got = 0;
  const char *end = NULL;
  size_t prefix = sizeof SL_HUB_CHALLENGE_PREFIX - 1;
  if (!cJSON_IsString(n) ||
      sodium_base642bin(msg + prefix, SL_HUB_NONCE_BYTES, n->valuestring, strlen(n->valuestring),
                        NULL, &got, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      got != SL_HUB_NONCE_BYTES || *end)
    return SL_ESIG_FIELD;
  memcpy(msg, SL_HUB_CHALLENGE_PREFIX, prefix);
  (void)sl_identity_sign(s->id, msg, sizeof msg, sig);
  char sig64[100];
  sodium_bin2base64(sig64, sizeof sig64, sig, sizeof sig, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  cJSON *o = cJSON_CreateObject(), *p = o ? cJSON_AddObjectToObject(o, "payload") : NULL;
  if (p && cJSON_AddStringToObject(o, "type", "auth-proof") &&
      cJSON_AddStringToObject(p, "signature", sig64))
    push(s, SL_HUBS_SEND, cJSON_PrintUnformatted(o));
  cJSON_Delete(o);
  return 0;
}

/* Before auth: the code (authentication failed). After: the error message
 * as compact JSON, so its message and the peer it names reach the app. */
static void on_error(sl_hub_session *s, const cJSON *root, const cJSON *payload) {
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(payload, "code");
  const char *c = cJSON_IsString(code) ? code->valuestring : "UNKNOWN";
  if (!s->authenticated) {
    s->failed = true;
    push(s, SL_HUBS_FAILED, dup(c, strlen(c)));
    return;
  }
  push(s, SL_HUBS_ERROR, cJSON_PrintUnformatted(root));
}

int sl_hub_session_text(sl_hub_session *s, const char *text, size_t len) {
  if (!s || (!text && len)) return SL_EINVAL;
  if (s->failed) return SL_EHUB_AUTH;
  if (len > SL_SIGNAL_MAX_DEFAULT) return SL_ESIG_MALFORMED;
  cJSON *root = sl__json_parse_strict(text, len);
  const cJSON *type = root ? cJSON_GetObjectItemCaseSensitive(root, "type") : NULL;
  const cJSON *payload = root ? cJSON_GetObjectItemCaseSensitive(root, "payload") : NULL;
  int rc = cJSON_IsString(type) ? 0 : SL_ESIG_MALFORMED;
  const char *t = rc == 0 ? type->valuestring : "";
  if (rc == 0 && strcmp(t, "error") == 0) {
    on_error(s, root, payload);
  } else if (rc == 0 && strcmp(t, "challenge") == 0 && !s->authenticated) {
    rc = answer_challenge(s, payload);
  } else if (rc == 0 && strcmp(t, "authenticated") == 0 && !s->authenticated) {
    const cJSON *peer = cJSON_GetObjectItemCaseSensitive(payload, "peerId");
    if (cJSON_IsString(peer) && strcmp(peer->valuestring, sl_identity_peer_id(s->id)) == 0) {
      s->authenticated = true;
      push(s, SL_HUBS_AUTHENTICATED, dup(peer->valuestring, strlen(peer->valuestring)));
    } else {
      rc = SL_ESIG_FIELD; /* the hub confirmed someone else: refuse */
    }
  } else if (rc == 0 && strcmp(t, "ping") == 0) {
    push(s, SL_HUBS_SEND, dup("{\"type\":\"pong\"}", 15));
  } else if (rc == 0 && s->authenticated) {
    push(s, SL_HUBS_SIGNAL, dup(text, len));
  }
  cJSON_Delete(root);
  return rc;
}

static int room_message(sl_hub_session *s, const char *type, const char *room) {
  if (!s || !room) return SL_EINVAL;
  if (!s->authenticated) return SL_ESTATE;
  if (!sl__room_name_valid(room)) return SL_ESIG_FIELD;
  char *json = NULL;
  int rc = sl__signal_build_trusted(strcmp(type, "join") == 0 ? SL_SIG_JOIN : SL_SIG_LEAVE, NULL,
                                    NULL, room, NULL, NULL, &json, NULL);
  if (rc == 0) push(s, SL_HUBS_SEND, json);
  return rc;
}

int sl_hub_session_join(sl_hub_session *s, const char *room) {
  return room_message(s, "join", room);
}
int sl_hub_session_leave(sl_hub_session *s, const char *room) {
  return room_message(s, "leave", room);
}

int sl_hub_session_signal(sl_hub_session *s, int type, const char *to, const char *payload_json) {
  uint8_t pk[32];
  if (!s || !to) return SL_EINVAL;
  if (!s->authenticated) return SL_ESTATE;
  if (type != SL_SIG_OFFER && type != SL_SIG_ANSWER && type != SL_SIG_ICE_CANDIDATE &&
      type != SL_SIG_RELAY_OPEN)
    return SL_ESIG_TYPE;
  if (sl__peer_id_decode(to, strlen(to), pk) != 0) return SL_ESIG_FIELD;
  if ((type == SL_SIG_RELAY_OPEN) != (payload_json == NULL)) return SL_ESIG_FIELD;
  if (payload_json) { /* the application's JSON: an object, checked before it leaves */
    cJSON *p = sl__json_parse_strict(payload_json, strlen(payload_json));
    bool object = cJSON_IsObject(p);
    cJSON_Delete(p);
    if (!object) return SL_ESIG_FIELD;
  }
  char *json = NULL;
  int rc = sl__signal_build_trusted(type, NULL, to, NULL, NULL, payload_json, &json, NULL);
  if (rc == 0) push(s, SL_HUBS_SEND, json);
  return rc;
}
