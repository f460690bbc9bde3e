# The browser peer module: dist/starling_core.mjs + .wasm.
# Flags chosen for Emscripten 3.1.6 (see docs/building.md for why each):
# ES module factory, web/worker environment (Node gets wasmBinary from the
# glue), no filesystem, growable memory, no eval (strict CSP), no Node
# exit/rejection handlers, an explicit export list, and emmalloc (smaller
# than dlmalloc; the browser module allocates little).
set(SL_EXPORTS
  _malloc _free
  _sl_init _sl_strerror _sl_errname
  _sl_identity_from_seed _sl_identity_generate _sl_identity_free
  _sl_identity_public_key _sl_identity_peer_id _sl_identity_seed _sl_identity_sign
  _sl_verify _sl_peer_id_from_public_key _sl_peer_id_to_public_key
  _sl_frame_type_known _sl_frame_encode
  _sl_frame_decoder_new _sl_frame_decoder_free _sl_frame_decoder_buffered
  _sl_wasm_frame_decode_batch
  _sl_handshake_new _sl_handshake_free _sl_handshake_expect_remote
  _sl_handshake_write _sl_handshake_read _sl_handshake_complete _sl_handshake_failed
  _sl_handshake_wants_write _sl_handshake_remote_public_key _sl_handshake_hash
  _sl_handshake_split
  _sl_session_encrypt _sl_session_decrypt _sl_session_free
  _sl_hub_url_check _sl_hub_session_new _sl_hub_session_free _sl_hub_session_opened _sl_hub_session_text
  _sl_hub_session_join _sl_hub_session_leave _sl_hub_session_signal _sl_hub_session_next
  _sl_hub_session_authenticated
  _sl_link_new _sl_link_free _sl_link_next _sl_link_set_hub _sl_link_start _sl_link_present _sl_link_offer
  _sl_link_relay_ready _sl_link_path_ready _sl_link_path_failed _sl_link_hub_lost _sl_link_timer
  _sl_delivery_new _sl_delivery_free _sl_delivery_send _sl_delivery_activate _sl_delivery_deactivate
  _sl_delivery_set_presence _sl_delivery_timer _sl_delivery_ack_now _sl_delivery_close
  _sl_delivery_idle _sl_delivery_held_bytes _sl_delivery_received _sl_delivery_set_sequence
  _sl_wasm_path_receive _sl_wasm_path_write _sl_wasm_path_goodbye _sl_wasm_delivery_drain
  _sl_wasm_gossip_new _sl_gossip_free _sl_gossip_add_peer _sl_gossip_remove_peer _sl_gossip_receive
  _sl_gossip_subscribe _sl_gossip_unsubscribe _sl_gossip_set_validation _sl_gossip_publish
  _sl_gossip_validated _sl_wasm_gossip_tick _sl_gossip_set_app_score _sl_gossip_set_peer_record
  _sl_gossip_next _sl_wasm_gossip_score _sl_wasm_gossip_stats _sl_gossip_mesh _sl_gossip_subscribers
  _sl_gossip_topics _sl_gossip_prune_order
  _sl_multiaddr_from_string _sl_multiaddr_to_string _sl_discovery_encode _sl_discovery_decode
  _sl_wasm_peer_record_seal _sl_peer_record_open
  _sl_wasm_order_seal _sl_wasm_order_open _sl_wasm_book_new _sl_book_free _sl_wasm_book_receive
  _sl_wasm_book_get _sl_wasm_book_tick _sl_wasm_book_keepalive _sl_book_next_removed _sl_book_list
  _sl_book_count _sl_book_digest _sl_book_depth _sl_wasm_book_match _sl_wasm_book_filled
  _sl_book_sync_message _sl_book_items
  _sl_booksync_new _sl_booksync_free _sl_booksync_start _sl_wasm_booksync_receive _sl_booksync_next
  _sl_booksync_applied _sl_booksync_waiting _sl_wasm_booksync_stats
  _sl_neg_new _sl_neg_free _sl_neg_initiate _sl_neg_reconcile _sl_neg_have _sl_neg_need
  _sl_neg_set_max_rounds _sl_neg_set_leaf
  _sl_wasm_trade_propose _sl_wasm_trade_incoming _sl_wasm_trade_load _sl_trade_free
  _sl_wasm_trade_accept _sl_wasm_trade_end _sl_wasm_trade_give_psbt _sl_wasm_trade_give_txid
  _sl_wasm_trade_receive _sl_wasm_trade_tick _sl_wasm_trade_resend _sl_wasm_trade_info _sl_trade_next _sl_trade_psbt
  _sl_trade_save _sl_trade_peek _sl_psbt_combine _sl_psbt_parse _sl_psbt_free _sl_wasm_psbt_pays _sl_psbt_version _sl_psbt_tx_version
  _sl_psbt_input_count _sl_psbt_output_count _sl_psbt_input_at _sl_psbt_output_at
  _sl_tips_new _sl_tips_free _sl_wasm_tip_seal _sl_wasm_tips_receive)
list(JOIN SL_EXPORTS "," SL_EXPORTS_JOINED)

set(SL_WASM_LINK_FLAGS
  -O3 --closure 0
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createStarlingCore
  -sENVIRONMENT=web,worker
  -sFILESYSTEM=0 -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=2097152 -sTOTAL_STACK=262144
  -sDYNAMIC_EXECUTION=0 -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0
  -sWASM_BIGINT=0 -sASSERTIONS=0 -sMALLOC=emmalloc
  -sEXPORTED_FUNCTIONS=[${SL_EXPORTS_JOINED}]
  -sEXPORTED_RUNTIME_METHODS=[])

add_executable(starling_wasm src/wasm/bindings.c src/wasm/numbers.c)
target_link_libraries(starling_wasm PRIVATE starling_core)
target_include_directories(starling_wasm PRIVATE src)
sl_set_warnings(starling_wasm)
target_link_options(starling_wasm PRIVATE ${SL_WASM_LINK_FLAGS})
set_target_properties(starling_wasm PROPERTIES
  OUTPUT_NAME starling_core SUFFIX ".mjs"
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_SOURCE_DIR}/dist")
add_custom_command(TARGET starling_wasm POST_BUILD
  COMMAND ${CMAKE_COMMAND} -DFILE=${CMAKE_SOURCE_DIR}/dist/starling_core.mjs -P ${CMAKE_SOURCE_DIR}/cmake/strip-node-require.cmake
  VERBATIM)

# The hub's module (dist/starling_hub.{mjs,wasm}): the same core plus the
# hub state machine, loaded by js-glue/hub.js in Node. Kept apart so the
# browser module carries no server code.
set(SL_HUB_EXPORTS
  _malloc _free _sl_init _sl_strerror _sl_errname
  _sl_hub_new _sl_hub_free _sl_hub_set _sl_hub_set_jwt_hs256 _sl_hub_set_jwt_eddsa
  _sl_hub_set_jwt_audience _sl_hub_set_jwt_issuer _sl_hub_open _sl_hub_text _sl_hub_binary
  _sl_hub_closed _sl_hub_tick _sl_hub_next_output _sl_hub_metrics _sl_hub_status _sl_hub_overflow
  _sl_hub_relay_stalled _sl_hub_setting_range _sl_hub_authenticated
  _sl_hub_remote_open _sl_hub_remote_join _sl_hub_remote_leave _sl_hub_remote_moved _sl_hub_remote_load _sl_hub_deliver)
list(JOIN SL_HUB_EXPORTS "," SL_HUB_EXPORTS_JOINED)
string(REPLACE "-sEXPORT_NAME=createStarlingCore" "-sEXPORT_NAME=createStarlingHub" SL_HUB_LINK_FLAGS "${SL_WASM_LINK_FLAGS}")
list(FILTER SL_HUB_LINK_FLAGS EXCLUDE REGEX "^-sEXPORTED_FUNCTIONS=")
list(FILTER SL_HUB_LINK_FLAGS EXCLUDE REGEX "^-sINITIAL_MEMORY=")
list(FILTER SL_HUB_LINK_FLAGS EXCLUDE REGEX "^-sMALLOC=") # the hub allocates a lot: keep dlmalloc
add_executable(starling_hub_wasm src/wasm/bindings.c)
target_link_libraries(starling_hub_wasm PRIVATE starling_core)
target_include_directories(starling_hub_wasm PRIVATE src)
sl_set_warnings(starling_hub_wasm)
target_link_options(starling_hub_wasm PRIVATE ${SL_HUB_LINK_FLAGS} -sINITIAL_MEMORY=16777216
  -sEXPORTED_FUNCTIONS=[${SL_HUB_EXPORTS_JOINED}])
set_target_properties(starling_hub_wasm PROPERTIES
  OUTPUT_NAME starling_hub SUFFIX ".mjs"
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_SOURCE_DIR}/dist")
