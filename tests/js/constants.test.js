// One source of truth for what C and JS share: every number the glue
// hard-codes (enum values, error numbers, record sizes, the layouts JS
// reads out of wasm memory) is checked here against src/include/starling.h.
// (The struct layouts are also pinned by _Static_assert in hub.c, link.c
// and delivery.c.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRNO } from '../../js-glue/errno.js';
import { SETTINGS, OUTPUT, CLOSE_CODE } from '../../js-glue/hub.js';
import { CLUSTER_OUTPUT, SL_HUB_CLUSTER } from '../../js-glue/hub-cluster.js';
import { PATH, REASON, ACTION } from '../../js-glue/link-state.js';
import { EVENT } from '../../js-glue/delivery.js';
import { GOSSIP_EVENT, VERDICT } from '../../js-glue/gossip.js';
import { SESSION_EVENT } from '../../js-glue/hub-client.js';
import { RECORD_MAX_BYTES, RECORD_TAG_BYTES } from '../../js-glue/noise.js';

const header = readFileSync(new URL('../../src/include/starling.h', import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

/** The members of `enum name { ... }`, with C's implicit numbering. */
function cEnum(name) {
  const body = header.match(new RegExp(`enum ${name}\\s*\\{([^}]*)\\}`))?.[1];
  assert.ok(body, `enum ${name} is in starling.h`);
  const out = {};
  let next = 0;
  for (const item of body.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [, id, value] = item.match(/^(\w+)(?:\s*=\s*(-?\d+))?$/);
    next = value === undefined ? next : Number(value);
    out[id] = next++;
  }
  return out;
}

const define = (name) => Number(header.match(new RegExp(`#define ${name}\\s+\\(?(-?\\d+)`))?.[1]);

/** js maps NAME -> value; C names are prefix + NAME in SCREAMING_SNAKE_CASE. */
function sameAs(js, cValues, prefix, rename = (k) => k) {
  for (const [k, v] of Object.entries(js)) assert.equal(v, cValues[prefix + rename(k)], `${prefix}${rename(k)}`);
}
const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

test('error numbers the glue raises itself match starling.h', () => {
  for (const [k, v] of Object.entries(ERRNO)) assert.equal(v, define(`SL_${k}`), `SL_${k}`);
});

test('hub settings, output kinds and close codes match starling.h', () => {
  const settings = cEnum('sl_hub_setting');
  const rename = { maxMessage: 'MAX_MESSAGE', authTimeoutMs: 'AUTH_TIMEOUT_MS', messageRate: 'MSG_RATE', messageBurst: 'MSG_BURST', jwtSkewSeconds: 'JWT_SKEW_S' };
  for (const [k, v] of Object.entries(SETTINGS)) assert.equal(v, settings[`SL_HUB_${rename[k] ?? snake(k)}`], k);
  assert.equal(SL_HUB_CLUSTER, settings.SL_HUB_CLUSTER);
  assert.equal(Object.keys(SETTINGS).length, settings.SL_HUB_SETTING_COUNT - 2, 'every setting has an option, but SL_HUB_CLUSTER (set by `redis`)');
  const kinds = cEnum('sl_hub_output_kind');
  sameAs(OUTPUT, kinds, 'SL_HUB_');
  sameAs(CLUSTER_OUTPUT, kinds, 'SL_HUB_');
  assert.equal(Object.keys(OUTPUT).length + Object.keys(CLUSTER_OUTPUT).length, Object.keys(kinds).length, 'every output kind is known to the host');
  sameAs(CLOSE_CODE, cEnum('sl_hub_close_code'), 'SL_HUB_CLOSE_');
});

test('link state machine enums match starling.h', () => {
  sameAs(PATH, cEnum('sl_link_path'), 'SL_LINK_PATH_');
  sameAs(REASON, cEnum('sl_link_reason'), 'SL_LINK_');
  sameAs(ACTION, cEnum('sl_link_action_kind'), 'SL_LINK_');
});

test('hub session event kinds match starling.h', () => {
  sameAs(SESSION_EVENT, cEnum('sl_hub_session_event_kind'), 'SL_HUBS_');
});

test('delivery event kinds match starling.h', () => {
  const kinds = cEnum('sl_delivery_event_kind');
  sameAs(EVENT, kinds, 'SL_DELIVERY_');
  assert.equal(Object.keys(EVENT).length, Object.keys(kinds).length, 'every event kind is handled');
});

test('record sizes match starling.h', () => {
  assert.equal(RECORD_MAX_BYTES, define('SL_RECORD_MAX_BYTES'));
  assert.equal(RECORD_TAG_BYTES, define('SL_RECORD_TAG_BYTES'));
});

test('gossip event kinds and verdicts match starling.h', () => {
  sameAs(GOSSIP_EVENT, cEnum('sl_gossip_event_kind'), 'SL_GOSSIP_');
  sameAs(VERDICT, cEnum('sl_gossip_verdict'), 'SL_GOSSIP_', (k) => k.toUpperCase());
});
