// Starling — public entry point. See docs/api.md.
export { init } from './core.js';
export { StarlingError, FrameError, HandshakeError, SessionError } from './errors.js';
export { Identity } from './identity.js';
export { encodeFrame, encodeFrames, FrameDecoder, FrameType, FRAME_HEADER_BYTES, DEFAULT_MAX_PAYLOAD } from './frame.js';
export { Handshake, Session, RECORD_MAX_BYTES, RECORD_MAX_PLAINTEXT, RECORD_TAG_BYTES } from './noise.js';
export { connectHub, HubConnection } from './hub-client.js';
export { createPeer, Peer } from './peer.js';
export { GossipRouter } from './gossip.js';
export { DISCOVERY_TOPIC, multiaddrToBytes, multiaddrFromBytes, encodeAnnouncement, decodeAnnouncement, sealPeerRecord, openPeerRecord } from './discovery-codec.js';
export { Orderbook, openOrder } from './orderbook.js';
export { orderbookTopic, NetworkOrderbook } from './market.js';
export { Trade, Trades, TRADE_STATES, combinePsbt, psbtPays, psbtInfo } from './trades.js';
export { memoryStorage, fileStorage, indexedDbStorage } from './storage.js';
export { Reputation, REPUTATION_POINTS } from './reputation.js';
export { Tips, TIP_TYPES } from './tips.js';
