/* signal.c — the JSON signaling codec shared by the hub and the peer.
 * Parsing is strict about what the hub acts on (type, to, room, id and the
 * auth payloads) and opaque about the rest: offer/answer/ice-candidate
 * payloads are forwarded as compact JSON without interpretation. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[SL_SIG_TYPE_COUNT] = {
    [SL_SIG_AUTH] = "auth",
    [SL_SIG_AUTH_PROOF] = "auth-proof",
    [SL_SIG_JOIN] = "join",
    [SL_SIG_LEAVE] = "leave",
    [SL_SIG_OFFER] = "offer",
    [SL_SIG_ANSWER] = "answer",
    [SL_SIG_ICE_CANDIDATE] = "ice-candidate",
    [SL_SIG_RELAY_OPEN] = "relay-open",
    [SL_SIG_PING] = "ping",
    [SL_SIG_PONG] = "pong",
    [SL_SIG_CHALLENGE] = "challenge",
    [SL_SIG_AUTHENTICATED] = "authenticated",
    [SL_SIG_PEER_LIST] = "peer-list",
    [SL_SIG_PEER_JOINED] = "peer-joined",
    [SL_SIG_PEER_LEFT] = "peer-left",
    [SL_SIG_RELAY_READY] = "relay-ready",
    [SL_SIG_ERROR] = "error",
};

const char *sl_signal_type_name(int type) {
  return type > 0 && type < SL_SIG_TYPE_COUNT ? type_names[type] : NULL;
}

static int client_type(const char *name) {
  for (int t = SL_SIG_AUTH; t <= SL_SIG_PONG; t++)
    if (strcmp(type_names[t], name) == 0) return t;
  return 0;
}

int sl__room_name_valid(const char *room) {
  size_t n = strlen(room);
  if (n == 0 || n > SL_ROOM_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = room[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    if (!ok) return 0;
  }
  return 1;
}

/* Copies an optional string field (at most cap-1 chars); SL_ESIG_FIELD if
 * present but not a string or too long. */
static int copy_string(const cJSON *root, const char *name, char *dst, size_t cap) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
  if (!v || cJSON_IsNull(v)) return 0;
  if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) return SL_ESIG_FIELD;
  memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
  return 0;
}

/* The token gets its own allocation: only auth messages carry one, and
 * every other message stays small. */
static int read_auth(const cJSON *payload, sl_signal *m) {
  const cJSON *token = cJSON_GetObjectItemCaseSensitive(payload, "token");
  if (!cJSON_IsString(token) || !token->valuestring[0]) return SL_ESIG_FIELD;
  size_t n = strlen(token->valuestring);
  if (n > SL_JWT_MAX_TOKEN_DEFAULT) return SL_EJWT_TOO_LARGE;
  if (!(m->token = malloc(n + 1))) return SL_ENOMEM;
  memcpy(m->token, token->valuestring, n + 1);
  return 0;
}

static int read_proof(const cJSON *payload, sl_signal *m) {
  const cJSON *sig = cJSON_GetObjectItemCaseSensitive(payload, "signature");
  size_t n = 0;
  const char *end = NULL;
  if (!cJSON_IsString(sig)) return SL_ESIG_FIELD;
  size_t len = strlen(sig->valuestring);
  if (sodium_base642bin(m->signature, sizeof m->signature, sig->valuestring, len, NULL, &n, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != sig->valuestring + len || n != SL_SIGNATURE_BYTES)
    return SL_ESIG_FIELD;
  return 0;
}

/* Type-specific requirements. */
static int check_fields(const cJSON *root, sl_signal *m) {
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(root, "payload");
  uint8_t pk[32];
  switch (m->type) {
  case SL_SIG_AUTH:
    return cJSON_IsObject(payload) ? read_auth(payload, m) : SL_ESIG_FIELD;
  case SL_SIG_AUTH_PROOF:
    return cJSON_IsObject(payload) ? read_proof(payload, m) : SL_ESIG_FIELD;
  case SL_SIG_JOIN:
  case SL_SIG_LEAVE:
    return sl__room_name_valid(m->room) ? 0 : SL_ESIG_FIELD;
  case SL_SIG_OFFER:
  case SL_SIG_ANSWER:
  case SL_SIG_ICE_CANDIDATE:
    if (!cJSON_IsObject(payload)) return SL_ESIG_FIELD;
    /* fall through - these also need a destination */
  case SL_SIG_RELAY_OPEN:
    /* Syntax is enough: `to` is only looked up among authenticated peers. */
    if (sl__peer_id_decode(m->to, strlen(m->to), pk) != 0) return SL_ESIG_FIELD;
    return m->room[0] && !sl__room_name_valid(m->room) ? SL_ESIG_FIELD : 0;
  default:
    return 0;
  }
}

int sl_signal_parse(const char *text, size_t len, size_t max_len, sl_signal **out) {
  if (!out || (!text && len)) return SL_EINVAL;
  *out = NULL;
  if (len > (max_len ? max_len : SL_SIGNAL_MAX_DEFAULT)) return SL_ESIG_TOO_LARGE;
  /* Strict: trailing bytes or a duplicate member name anywhere (a second
   * "from" or "to" that a receiver's JSON.parse would prefer) is refused. */
  cJSON *root = text ? sl__json_parse_strict(text, len) : NULL;
  if (!root || !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return SL_ESIG_MALFORMED;
  }
  sl_signal *m = calloc(1, sizeof *m);
  int rc = m ? 0 : SL_ENOMEM;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
  if (rc == 0 && !cJSON_IsString(type)) rc = SL_ESIG_MALFORMED;
  if (rc == 0 && !(m->type = client_type(type->valuestring))) rc = SL_ESIG_TYPE;
  if (rc == 0) rc = copy_string(root, "id", m->id, sizeof m->id);
  if (rc == 0) rc = copy_string(root, "to", m->to, sizeof m->to);
  if (rc == 0) rc = copy_string(root, "room", m->room, sizeof m->room);
  if (rc == 0) rc = check_fields(root, m);
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(root, "payload");
  if (rc == 0 && payload && m->type != SL_SIG_AUTH && m->type != SL_SIG_AUTH_PROOF) {
    m->payload = cJSON_PrintUnformatted(payload);
    if (!m->payload)
      rc = SL_ENOMEM;
    else
      m->payload_len = strlen(m->payload);
  }
  cJSON_Delete(root);
  if (rc != 0) {
    sl_signal_free(m);
    return rc;
  }
  *out = m;
  return 0;
}

void sl_signal_free(sl_signal *msg) {
  if (!msg) return;
  free(msg->payload);
  if (msg->token) {
    sodium_memzero(msg->token, strlen(msg->token));
    free(msg->token);
  }
  free(msg);
}

static bool add_string(cJSON *obj, const char *name, const char *value) {
  return !value || cJSON_AddStringToObject(obj, name, value) != NULL;
}

static int finish(cJSON *obj, char **out, size_t *out_len) {
  char *s = cJSON_PrintUnformatted(obj);
  cJSON_Delete(obj);
  if (!s) return SL_ENOMEM;
  *out = s;
  if (out_len) *out_len = strlen(s);
  return 0;
}

/* Appends raw bytes; returns how many (keeps the builders free of printf,
 * which costs more than the copy on the hub's forwarding path). */
static size_t put_raw(char *o, const char *s, size_t len) {
  memcpy(o, s, len);
  return len;
}

/* Appends "name":"escaped value" (with a leading comma unless first). */
static size_t put_field(char *o, const char *name, const char *value, bool first) {
  size_t n = 0;
  if (!first) o[n++] = ',';
  o[n++] = '"';
  n += put_raw(o + n, name, strlen(name));
  n += put_raw(o + n, "\":\"", 3);
  for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
    if (*c == '"' || *c == '\\') {
      o[n++] = '\\';
      o[n++] = (char)*c;
    } else if (*c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      n += put_raw(o + n, "\\u00", 4);
      o[n++] = hex[*c >> 4];
      o[n++] = hex[*c & 15];
    } else {
      o[n++] = (char)*c;
    }
  }
  o[n++] = '"';
  return n;
}

/* Worst case of put_field: every byte escaped as \u00XX. */
static size_t field_cap(const char *name, const char *value) {
  return value ? strlen(name) + 6 + 6 * strlen(value) : 0;
}

int sl__signal_build_trusted(int type, const char *from, const char *to, const char *room,
                             const char *id, const char *payload_json, char **out,
                             size_t *out_len) {
  if (!out || !sl_signal_type_name(type)) return SL_EINVAL;
  *out = NULL;
  const char *names[5] = {"type", "from", "to", "room", "id"};
  const char *values[5] = {sl_signal_type_name(type), from, to, room, id};
  size_t cap = 16 + (payload_json ? strlen(payload_json) + 12 : 0);
  for (int i = 0; i < 5; i++)
    cap += field_cap(names[i], values[i]);
  char *o = malloc(cap);
  if (!o) return SL_ENOMEM;
  size_t n = 0;
  o[n++] = '{';
  for (int i = 0; i < 5; i++)
    if (values[i]) n += put_field(o + n, names[i], values[i], i == 0);
  if (payload_json) {
    n += put_raw(o + n, ",\"payload\":", 11);
    n += put_raw(o + n, payload_json, strlen(payload_json));
  }
  o[n++] = '}';
  o[n] = 0;
  *out = o;
  if (out_len) *out_len = n;
  return 0;
}

int sl_signal_build(int type, const char *from, const char *to, const char *room, const char *id,
                    const char *payload_json, char **out, size_t *out_len) {
  if (!out) return SL_EINVAL;
  *out = NULL;
  if (payload_json) { /* the caller's JSON is checked; the hub's own is trusted */
    cJSON *check = sl__json_parse_strict(payload_json, strlen(payload_json));
    bool valid = check != NULL;
    cJSON_Delete(check);
    if (!valid) return SL_EINVAL;
  }
  return sl__signal_build_trusted(type, from, to, room, id, payload_json, out, out_len);
}

int sl_signal_build_error(const char *code, const char *message, const char *id, const char *peer,
                          char **out, size_t *out_len) {
  if (!out || !code) return SL_EINVAL;
  *out = NULL;
  cJSON *obj = cJSON_CreateObject();
  cJSON *payload = NULL;
  bool ok = obj && add_string(obj, "type", "error") && add_string(obj, "from", peer) &&
            add_string(obj, "id", id) &&
            (payload = cJSON_AddObjectToObject(obj, "payload")) != NULL &&
            add_string(payload, "code", code) && add_string(payload, "message", message);
  if (!ok) {
    cJSON_Delete(obj); /* owns payload once attached */
    return SL_ENOMEM;
  }
  return finish(obj, out, out_len);
}
