/* test_discovery.c — multiaddrs (known binary forms, round trips,
 * refusals), the pubsub peer discovery announcement, and signed peer
 * records: seal and open, tampering, a record naming another peer, and
 * size limits. Interop with js-libp2p's codecs is in tests/js. */
#include "check.h"
#include "internal.h"

static const uint8_t loopback_wss[] = {0x04, 0x7f, 0x00, 0x00, 0x01, 0x06, 0x01, 0xbb, 0xde, 0x03};

static void roundtrip(const char *text) {
  uint8_t bin[SL_MULTIADDR_MAX_BYTES];
  size_t len = 0;
  char back[SL_MULTIADDR_MAX_TEXT + 1];
  CHECK_EQ(sl_multiaddr_from_string(text, strlen(text), bin, sizeof bin, &len), 0);
  CHECK_EQ(sl_multiaddr_to_string(bin, len, back, sizeof back), (long long)strlen(text));
  CHECK(strcmp(back, text) == 0);
}

static void refused(const char *text) {
  uint8_t bin[SL_MULTIADDR_MAX_BYTES];
  size_t len = 7;
  CHECK_EQ(sl_multiaddr_from_string(text, strlen(text), bin, sizeof bin, &len), SL_EMULTIADDR);
  CHECK_EQ(len, 0);
}

static void test_multiaddr(const char *peer) {
  uint8_t bin[SL_MULTIADDR_MAX_BYTES];
  size_t len = 0;
  const char *t = "/ip4/127.0.0.1/tcp/443/wss";
  CHECK_EQ(sl_multiaddr_from_string(t, strlen(t), bin, sizeof bin, &len), 0);
  CHECK(len == sizeof loopback_wss && memcmp(bin, loopback_wss, len) == 0);
  char text[SL_MULTIADDR_MAX_TEXT + 1];
  char buf[512];
  roundtrip("/ip4/127.0.0.1/tcp/443/wss");
  roundtrip("/dns4/hub.example.org/tcp/443/wss");
  snprintf(buf, sizeof buf, "/dns4/hub.example.org/tcp/443/wss/p2p/%s/p2p-circuit/p2p/%s", peer,
           peer);
  roundtrip(buf);
  snprintf(buf, sizeof buf, "/webrtc/p2p/%s", peer);
  roundtrip(buf);
  roundtrip("/ip4/10.0.0.1/udp/9/quic-v1");
  roundtrip("/dns/x/tcp/1/tls/ws");
  roundtrip("/webrtc-direct");
  refused("");
  refused("/");
  refused("ip4/1.2.3.4");
  refused("/ip4/1.2.3.4/");
  refused("/ip4/1.2.3");
  refused("/ip4/1.2.3.4.5");
  refused("/ip4/256.0.0.1");
  refused("/ip4/1..2.3");
  refused("/tcp/65536");
  refused("/tcp/-1");
  refused("/tcp");
  refused("/ip6/::1");
  refused("/p2p/0OIl"); /* not base58 */
  refused("/dns4/a b");
  refused("/unknown/1");
  /* Binary that does not parse: truncated values, unknown codes, overlong lengths. */
  CHECK_EQ(sl_multiaddr_to_string(loopback_wss, 3, text, sizeof text), SL_EMULTIADDR);
  const uint8_t unknown[] = {0x29, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}; /* ip6 */
  CHECK_EQ(sl_multiaddr_to_string(unknown, sizeof unknown, text, sizeof text), SL_EMULTIADDR);
  const uint8_t longdns[] = {0x36, 0x80, 0x02, 'a'};
  CHECK_EQ(sl_multiaddr_to_string(longdns, sizeof longdns, text, sizeof text), SL_EMULTIADDR);
  const uint8_t slash[] = {0x36, 0x01, '/'};
  CHECK_EQ(sl_multiaddr_to_string(slash, sizeof slash, text, sizeof text), SL_EMULTIADDR);
  const uint8_t varint_long[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK_EQ(sl_multiaddr_to_string(varint_long, sizeof varint_long, text, sizeof text),
           SL_EMULTIADDR);
  CHECK_EQ(sl_multiaddr_to_string(loopback_wss, sizeof loopback_wss, text, 8), SL_EBUFSIZE);
  const uint8_t padded[] = {0x86, 0x00, 0x00, 0x03}; /* /tcp/3 with a two-byte code */
  CHECK_EQ(sl_multiaddr_to_string(padded, sizeof padded, text, sizeof text), SL_EMULTIADDR);
}

static void test_announcement(const sl_identity *id, const char *peer) {
  char addrs[512];
  snprintf(addrs, sizeof addrs, "/ip4/127.0.0.1/tcp/8080/ws/p2p/%s\n/webrtc/p2p/%s", peer, peer);
  uint8_t msg[SL_DISCOVERY_MAX_BYTES];
  size_t len = 0;
  CHECK_EQ(sl_discovery_encode(sl_identity_public_key(id), addrs, msg, sizeof msg, &len), 0);
  CHECK(len > 40 && msg[0] == 0x0a && msg[1] == 36 && msg[2] == 0x08 && msg[3] == 0x01);
  uint8_t pk[32];
  char out[1024];
  CHECK_EQ(sl_discovery_decode(msg, len, pk, out, sizeof out), 2);
  CHECK_MEM(pk, sl_identity_public_key(id), 32);
  char *second = out + strlen(out) + 1;
  CHECK(strncmp(out, "/ip4/127.0.0.1/tcp/8080/ws/p2p/", 31) == 0);
  CHECK(strncmp(second, "/webrtc/p2p/", 12) == 0);
  /* No addresses is a valid announcement; a missing key is not. */
  CHECK_EQ(sl_discovery_encode(sl_identity_public_key(id), "", msg, sizeof msg, &len), 0);
  CHECK_EQ(sl_discovery_decode(msg, len, pk, out, sizeof out), 0);
  CHECK_EQ(sl_discovery_decode(msg, 0, pk, out, sizeof out), SL_EDISCOVERY);
  CHECK_EQ(sl_discovery_decode(msg, len - 1, pk, out, sizeof out), SL_EDISCOVERY);
  /* An address we do not read (ip6) is skipped, not an error. */
  uint8_t mixed[64] = {0x0a, 36};
  memcpy(mixed + 2, msg + 2, 36);
  const uint8_t ip6[] = {0x12, 17, 0x29, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  memcpy(mixed + 38, ip6, sizeof ip6);
  CHECK_EQ(sl_discovery_decode(mixed, 38 + sizeof ip6, pk, out, sizeof out), 0);
  /* A key of another type (secp256k1 = 2) is refused. */
  mixed[3] = 0x02;
  CHECK_EQ(sl_discovery_decode(mixed, 38, pk, out, sizeof out), SL_EDISCOVERY);
  /* addrs with the wrong wire type. */
  uint8_t wrong[40] = {0x0a, 36};
  memcpy(wrong + 2, msg + 2, 36);
  wrong[38] = 0x10, wrong[39] = 1;
  CHECK_EQ(sl_discovery_decode(wrong, sizeof wrong, pk, out, sizeof out), SL_EDISCOVERY);
  /* Past the address cap, both ways. */
  char many[2048] = "";
  for (int i = 0; i <= SL_DISCOVERY_MAX_ADDRS; i++)
    strcat(many, "/ip4/1.2.3.4/tcp/1\n");
  CHECK_EQ(sl_discovery_encode(sl_identity_public_key(id), many, msg, sizeof msg, &len), SL_EINVAL);
  CHECK_EQ(sl_discovery_encode(sl_identity_public_key(id), "/nope", msg, sizeof msg, &len),
           SL_EMULTIADDR);
  uint8_t big[64 + 8 * 17] = {0x0a, 36};
  memcpy(big + 2, mixed + 2, 36);
  big[3] = 0x01;
  size_t at = 38;
  for (int i = 0; i <= SL_DISCOVERY_MAX_ADDRS; i++) {
    const uint8_t a[] = {0x12, 5, 0x04, 1, 2, 3, 4};
    memcpy(big + at, a, sizeof a);
    at += sizeof a;
  }
  CHECK_EQ(sl_discovery_decode(big, at, pk, out, sizeof out), SL_EDISCOVERY);
  CHECK_EQ(sl_discovery_decode(big, at - 7, pk, out, sizeof out), SL_DISCOVERY_MAX_ADDRS);
  CHECK_EQ(sl_discovery_decode(big, at - 7, pk, out, 8), SL_EBUFSIZE);
}

static void test_peer_record(const sl_identity *id, const sl_identity *other, const char *peer) {
  char addrs[256];
  snprintf(addrs, sizeof addrs, "/webrtc/p2p/%s\n/ip4/127.0.0.1/tcp/9/ws", peer);
  uint8_t env[SL_PEER_RECORD_MAX_BYTES];
  size_t len = 0;
  CHECK_EQ(sl_peer_record_seal(id, 42, addrs, env, sizeof env, &len), 0);
  uint8_t pk[32];
  uint64_t seq = 0;
  char out[1024];
  CHECK_EQ(sl_peer_record_open(env, len, pk, &seq, out, sizeof out), 2);
  CHECK_MEM(pk, sl_identity_public_key(id), 32);
  CHECK_EQ(seq, 42);
  CHECK(strcmp(out + strlen(out) + 1, "/ip4/127.0.0.1/tcp/9/ws") == 0);
  /* Every single-bit flip in the envelope is refused (or, in skipped
   * bytes, still opens to the same record). */
  int refusedn = 0;
  for (size_t i = 0; i < len; i++) {
    env[i] ^= 0x04;
    uint64_t s2 = 0;
    int rc = sl_peer_record_open(env, len, pk, &s2, out, sizeof out);
    if (rc < 0)
      refusedn++;
    else
      CHECK(s2 == 42 && memcmp(pk, sl_identity_public_key(id), 32) == 0);
    env[i] ^= 0x04;
  }
  CHECK(refusedn >= (int)len - 2);
  /* Truncated, and the same payload under another key. */
  CHECK_EQ(sl_peer_record_open(env, len - 1, pk, &seq, out, sizeof out), SL_EPEER_RECORD);
  uint8_t env2[SL_PEER_RECORD_MAX_BYTES];
  size_t len2 = 0;
  CHECK_EQ(sl_peer_record_seal(other, 42, addrs, env2, sizeof env2, &len2), 0);
  CHECK_EQ(len2, len);
  /* Swap in the other identity's key and signature: the record still
   * names the first peer, so it does not open. */
  uint8_t forged[SL_PEER_RECORD_MAX_BYTES];
  memcpy(forged, env, len);
  memcpy(forged + 6, env2 + 6, 32);                /* the key */
  memcpy(forged + len - 64, env2 + len2 - 64, 64); /* its signature is over its own payload */
  CHECK_EQ(sl_peer_record_open(forged, len, pk, &seq, out, sizeof out), SL_EPEER_RECORD);
  /* Empty addresses; the size cap. */
  CHECK_EQ(sl_peer_record_seal(id, 1, NULL, env, sizeof env, &len), 0);
  CHECK_EQ(sl_peer_record_open(env, len, pk, &seq, out, sizeof out), 0);
  CHECK_EQ(sl_peer_record_seal(id, 1, addrs, env, 16, &len), SL_EBUFSIZE);
  CHECK_EQ(sl_peer_record_open(env, SL_PEER_RECORD_MAX_BYTES + 1, pk, &seq, out, sizeof out),
           SL_EPEER_RECORD);
}

int main(void) {
  if (sl_init() != 0) return 1;
  sl_identity *id = NULL, *other = NULL;
  uint8_t seed[SL_SEED_BYTES] = {1};
  CHECK_EQ(sl_identity_from_seed(&id, seed), 0);
  seed[0] = 2;
  CHECK_EQ(sl_identity_from_seed(&other, seed), 0);
  const char *peer = sl_identity_peer_id(id);
  test_multiaddr(peer);
  test_announcement(id, peer);
  test_peer_record(id, other, peer);
  sl_identity_free(id);
  sl_identity_free(other);
  return check_summary("discovery");
}
