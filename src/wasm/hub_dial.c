/* hub_dial.c — the browser module dials the hub from C through the
 * Emscripten WebSocket API (in Node the glue installs the `ws` client as
 * globalThis.WebSocket first) and drives the peer's hub session over it.
 * Events for the application go to the glue through one JS callback. */
#include "internal.h"

#include <emscripten.h>
#include <emscripten/websocket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kinds passed to Module.onHubEvent, beyond enum sl_hub_session_event_kind. */
enum { LINK_CLOSED = 100, LINK_SOCKET_ERROR = 101, LINK_RELAY = 102 };

typedef struct sl_hub_link {
  EMSCRIPTEN_WEBSOCKET_T ws;
  sl_hub_session *session;
  bool closed;
} sl_hub_link;

EM_JS(void, sl_js_hub_event, (sl_hub_link * link, int kind, const char *data, size_t len), {
  if (Module.onHubEvent) Module.onHubEvent(link, kind, len ? UTF8ToString(data, len) : "");
});

/* A relay frame from the hub, as [32-byte source key][record], copied out
 * of wasm memory before the glue sees it. */
EM_JS(void, sl_js_hub_relay, (sl_hub_link * link, int kind, const uint8_t *data, size_t len), {
  if (Module.onHubEvent) Module.onHubEvent(link, kind, HEAPU8.slice(data, data + len));
});

/* Sends what the session queued; hands the rest to the glue. */
static void flush(sl_hub_link *l) {
  sl_hub_session_event ev;
  while (sl_hub_session_next(l->session, &ev)) {
    if (ev.kind == SL_HUBS_SEND) {
      if (!l->closed) emscripten_websocket_send_utf8_text(l->ws, ev.data);
      continue;
    }
    sl_js_hub_event(l, ev.kind, ev.data, ev.len);
    if (ev.kind == SL_HUBS_FAILED && !l->closed)
      emscripten_websocket_close(l->ws, 1000, "authentication failed");
  }
}

/* A hub message this side could not use: reported like the hub's own
 * errors (SL_HUBS_ERROR carries an error message as JSON). */
static void report_error(sl_hub_link *l, int rc) {
  char *json = NULL;
  size_t len = 0;
  if (sl_signal_build_error(sl_errname(rc), sl_strerror(rc), NULL, NULL, &json, &len) != 0) return;
  sl_js_hub_event(l, SL_HUBS_ERROR, json, len);
  free(json);
}

static EM_BOOL on_open(int type, const EmscriptenWebSocketOpenEvent *e, void *user) {
  (void)type, (void)e;
  sl_hub_link *l = user;
  sl_hub_session_opened(l->session);
  flush(l);
  return EM_TRUE;
}

static EM_BOOL on_message(int type, const EmscriptenWebSocketMessageEvent *e, void *user) {
  (void)type;
  sl_hub_link *l = user;
  if (!e->isText) {
    /* Relay frames count only once authenticated and well formed; the hub
     * never sends anything else as binary, so the rest is dropped. */
    if (sl_hub_session_authenticated(l->session) && e->numBytes >= SL_RELAY_HEADER_BYTES &&
        e->data[0] == SL_RELAY_KIND_RECORD &&
        e->numBytes - SL_RELAY_HEADER_BYTES <= SL_RECORD_MAX_BYTES)
      sl_js_hub_relay(l, LINK_RELAY, e->data + 1, e->numBytes - 1);
    return EM_TRUE;
  }
  /* numBytes counts the NUL the API appends to text. */
  size_t len = e->numBytes ? e->numBytes - 1 : 0;
  int rc = sl_hub_session_text(l->session, (const char *)e->data, len);
  if (rc < 0 && rc != SL_EHUB_AUTH) report_error(l, rc);
  flush(l);
  return EM_TRUE;
}

static EM_BOOL on_error(int type, const EmscriptenWebSocketErrorEvent *e, void *user) {
  (void)type, (void)e;
  sl_js_hub_event(user, LINK_SOCKET_ERROR, "", 0);
  return EM_TRUE;
}

static EM_BOOL on_close(int type, const EmscriptenWebSocketCloseEvent *e, void *user) {
  (void)type;
  sl_hub_link *l = user;
  l->closed = true;
  char code[16];
  int n = snprintf(code, sizeof code, "%u", e->code);
  sl_js_hub_event(l, LINK_CLOSED, code, (size_t)n);
  return EM_TRUE;
}

/* Returns the link (> 0) or a negative code (bad URL, insecure URL, ...). */
intptr_t sl_wasm_hub_dial(const sl_identity *id, const char *url, const char *token,
                          int allow_insecure) {
  int rc = sl_hub_url_check(url, allow_insecure);
  if (rc != 0) return rc;
  sl_hub_link *l = calloc(1, sizeof *l);
  if (!l) return SL_ENOMEM;
  rc = sl_hub_session_new(&l->session, id, token);
  if (rc != 0) {
    free(l);
    return rc;
  }
  EmscriptenWebSocketCreateAttributes attrs;
  emscripten_websocket_init_create_attributes(&attrs);
  attrs.url = url;
  attrs.createOnMainThread = EM_TRUE;
  l->ws = emscripten_websocket_new(&attrs);
  if (l->ws <= 0) {
    sl_hub_session_free(l->session);
    free(l);
    return SL_EURL;
  }
  emscripten_websocket_set_onopen_callback(l->ws, l, on_open);
  emscripten_websocket_set_onmessage_callback(l->ws, l, on_message);
  emscripten_websocket_set_onerror_callback(l->ws, l, on_error);
  emscripten_websocket_set_onclose_callback(l->ws, l, on_close);
  return (intptr_t)l;
}

int sl_wasm_hub_join(sl_hub_link *l, const char *room, int leave) {
  int rc = leave ? sl_hub_session_leave(l->session, room) : sl_hub_session_join(l->session, room);
  flush(l);
  return rc;
}

int sl_wasm_hub_signal(sl_hub_link *l, int type, const char *to, const char *payload_json) {
  int rc = sl_hub_session_signal(l->session, type, to, payload_json);
  flush(l);
  return rc;
}

/* Sends one record to a peer on the relay path: [1][its Ed25519 key][record]. */
int sl_wasm_hub_relay(sl_hub_link *l, const uint8_t key[SL_PUBLIC_KEY_BYTES], const uint8_t *record,
                      size_t len) {
  if (l->closed || !sl_hub_session_authenticated(l->session)) return SL_ESTATE;
  if (len > SL_RECORD_MAX_BYTES) return SL_ESESSION_TOO_LARGE;
  uint8_t *frame = malloc(SL_RELAY_HEADER_BYTES + len);
  if (!frame) return SL_ENOMEM;
  frame[0] = SL_RELAY_KIND_RECORD;
  memcpy(frame + 1, key, SL_PUBLIC_KEY_BYTES);
  memcpy(frame + SL_RELAY_HEADER_BYTES, record, len);
  EMSCRIPTEN_RESULT r =
      emscripten_websocket_send_binary(l->ws, frame, (uint32_t)(SL_RELAY_HEADER_BYTES + len));
  free(frame);
  return r == EMSCRIPTEN_RESULT_SUCCESS ? 0 : SL_ESTATE;
}

/* Bytes queued on the hub socket but not yet sent (for backpressure). */
double sl_wasm_hub_buffered(sl_hub_link *l) {
  unsigned long long n = 0;
  if (l->closed || emscripten_websocket_get_buffered_amount(l->ws, &n) != EMSCRIPTEN_RESULT_SUCCESS)
    return 0;
  return (double)n;
}

/* Closes the socket (if open) and frees the link. */
void sl_wasm_hub_free(sl_hub_link *l) {
  if (!l) return;
  if (!l->closed) emscripten_websocket_close(l->ws, 1000, "bye");
  emscripten_websocket_delete(l->ws); /* drops the callbacks: no event reaches freed memory */
  sl_hub_session_free(l->session);
  free(l);
}
