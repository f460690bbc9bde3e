// Type declarations for Starling's public API (js-glue/index.js).
// Self-sufficient: they type-check with lib es2022 plus either dom (a
// browser app) or @types/node (a Node app), with skipLibCheck off. What
// only one of those declares is declared here (tests/js/types.test.js).

declare global {
  // Explicit resource management (esnext.disposable, @types/node): the
  // same declaration both make, so it merges with either.
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
  // Only lib.dom declares WebAssembly; a compiled module is all init() needs.
  namespace WebAssembly {
    interface Module {}
  }
}

/** A listener, as EventTarget takes one (a function or a handleEvent object). */
export type StarlingEventListener = ((event: Event) => void) | { handleEvent(event: Event): void };
/** addEventListener's options (lib.dom's AddEventListenerOptions). */
export interface StarlingListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView | string;

export interface InitOptions {
  /** Where or what the .wasm is: a URL, the bytes, or a compiled module.
   *  Default: read with fs in Node, fetched next to the module in browsers. */
  wasm?: URL | string | ArrayBuffer | ArrayBufferView | WebAssembly.Module;
}
/** Loads the wasm core. Idempotent; call (and await) before anything else. */
export function init(opts?: InitOptions): Promise<void>;

/** Base error: `code` is stable (e.g. "FRAME_TOO_LARGE"), `errno` the C code. */
export class StarlingError extends Error {
  readonly code: string;
  readonly errno: number;
}
export class FrameError extends StarlingError {
  /** Frames decoded by the same push() before the error. */
  readonly frames: Frame[];
}
export class HandshakeError extends StarlingError {}
export class SessionError extends StarlingError {}

export class Identity {
  private constructor();
  static generate(): Identity;
  static fromSeed(seed: Uint8Array): Identity;
  static verify(publicKey: Uint8Array, bytes: Bytes, signature: Uint8Array): boolean;
  static peerIdFromPublicKey(publicKey: Uint8Array): string;
  /** Throws StarlingError with code PEER_ID_INVALID or PUBLIC_KEY_INVALID. */
  static publicKeyFromPeerId(peerId: string): Uint8Array;
  readonly peerId: string;
  readonly publicKey: Uint8Array;
  /** The 32-byte seed (secret): persist it to restore the identity. */
  readonly seed: Uint8Array;
  sign(bytes: Bytes): Uint8Array;
  free(): void;
  [Symbol.dispose](): void;
}

export const FrameType: Readonly<{
  DATA: 0x01; FILE_CHUNK: 0x02; FILE_META: 0x03; PRESENCE: 0x04; ACK: 0x05;
  PING: 0x06; PONG: 0x07; DISCONNECT: 0x08; BATCH: 0x09;
  GOSSIP: 0x20; SIGNAL: 0x21;
  ORDER_CREATE: 0x30; ORDER_CANCEL: 0x31; ORDER_UPDATE: 0x32; ORDERBOOK_REQUEST: 0x33;
  ORDERBOOK_RESPONSE: 0x34; ORDER_KEEPALIVE: 0x35;
  TRADE_PROPOSE: 0x40; TRADE_ACCEPT: 0x41; TRADE_REJECT: 0x42; TRADE_CANCEL: 0x43; TRADE_SIGNATURE: 0x44;
  PSBT_CREATE: 0x50; PSBT_UPDATE: 0x51; PSBT_SIGN: 0x52; PSBT_FINALIZE: 0x53; PSBT_BROADCAST: 0x54;
  TIP_META: 0x60;
}>;
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];
export const FRAME_HEADER_BYTES: 5;
export const DEFAULT_MAX_PAYLOAD: number;

export interface Frame {
  type: FrameTypeValue;
  payload: Uint8Array;
}
/** Throws FrameError (FRAME_UNKNOWN_TYPE, FRAME_TOO_LARGE). */
export function encodeFrame(type: number, payload?: Bytes): Uint8Array;
/** Many frames into one contiguous buffer (one allocation). Throws like encodeFrame. */
export function encodeFrames(frames: Iterable<{ type: number; payload?: Bytes }>): Uint8Array;

export interface FrameDecoderOptions {
  /** Largest payload accepted, in bytes (default 256 KiB, at most 64 MiB). */
  maxPayload?: number;
}
export class FrameDecoder {
  constructor(opts?: FrameDecoderOptions);
  readonly maxPayload: number;
  /** Bytes held for an incomplete frame (never more than 5 + maxPayload). */
  readonly buffered: number;
  /** Frames completed by this chunk. Throws FrameError; the decoder then stays failed. */
  push(chunk: Bytes): Frame[];
  free(): void;
  close(): void;
  [Symbol.dispose](): void;
}

export const RECORD_MAX_BYTES: 16384;
export const RECORD_TAG_BYTES: 16;
export const RECORD_MAX_PLAINTEXT: 16368;

export interface HandshakeOptions {
  identity: Identity;
  initiator: boolean;
  /** Bound into the handshake: both sides must pass the same bytes. */
  prologue?: Bytes;
  /** If set, a different remote identity fails with HANDSHAKE_UNEXPECTED_PEER. */
  remotePeerId?: string;
}
export class Handshake {
  constructor(opts: HandshakeOptions);
  readonly initiator: boolean;
  readonly complete: boolean;
  readonly wantsWrite: boolean;
  readonly remotePeerId: string | null;
  readonly remotePublicKey: Uint8Array | null;
  readonly handshakeHash: Uint8Array;
  /** Message 1 carries no payload; messages 2 and 3 may (encrypted). */
  writeMessage(payload?: Bytes): Uint8Array;
  /** Returns the payload the message carried. Throws HandshakeError; the handshake then stays failed. */
  readMessage(message: Uint8Array): Uint8Array;
  /** Returns the transport session and frees the handshake. */
  split(): Session;
  free(): void;
  [Symbol.dispose](): void;
}
export class Session {
  private constructor();
  readonly remotePeerId: string | null;
  /** At most RECORD_MAX_PLAINTEXT bytes in, one record out. */
  encrypt(plaintext: Bytes): Uint8Array;
  /** Throws SessionError (SESSION_DECRYPT, SESSION_SHORT, ...) and ends the session. */
  decrypt(record: Uint8Array): Uint8Array;
  free(): void;
  close(): void;
  [Symbol.dispose](): void;
}

export interface ConnectHubOptions {
  /** wss://… (ws:// only to loopback unless allowInsecure). */
  hubUrl: string;
  /** The JWT the application obtained for this identity's public key. */
  token: string;
  identity: Identity;
  allowInsecure?: boolean;
  /** Rejects with HUB_TIMEOUT if not authenticated in time (default 10000). */
  timeoutMs?: number;
}

export interface HubSignal {
  type: string;
  from?: string;
  to?: string;
  room?: string;
  id?: string;
  payload?: unknown;
}

/** Events: 'hub:connect' {peerId}, 'signal' (every hub message), 'peer-list',
 *  'peer-joined', 'peer-left' (HubSignal), 'relay' {sourceKey, record}, 'hub:error' {code, message, peerId?, id?},
 *  'hub:disconnect' {code}. */
export class HubConnection extends EventTarget {
  private constructor();
  readonly peerId: string | null;
  /** The hub URL this connection dialled. */
  readonly url: string | null;
  join(room: string): void;
  leave(room: string): void;
  /** Throws MESSAGE_FIELD / MESSAGE_TYPE for a bad peer id, payload or type. */
  signal(type: 'offer' | 'answer' | 'ice-candidate', to: string, payload: object): void;
  signal(type: 'relay-open', to: string): void;
  /** Sends one record on an open relay path to the peer with this Ed25519 key. */
  relay(publicKey: Uint8Array, record: Uint8Array): void;
  readonly bufferedAmount: number;
  readonly open: boolean;
  close(): void;
}

/** Dials the hub from the wasm core (Emscripten WebSocket API) and authenticates.
 *  Rejects with StarlingError: JWT_*, AUTH_PROOF_INVALID, HUB_URL_INSECURE,
 *  HUB_URL_INVALID, HUB_UNREACHABLE, HUB_CLOSED, HUB_TIMEOUT, ... */
export function connectHub(opts: ConnectHubOptions): Promise<HubConnection>;

export interface CreatePeerOptions extends Omit<ConnectHubOptions, 'token' | 'hubUrl'> {
  /** A hub, or several hubs that share rooms (on Redis): the first that answers is used,
   *  and when it goes the peer moves to the next. */
  hubUrl: string | string[];
  /** A JWT, or a function returning one; a function is called again on every reconnect. */
  token: string | (() => string | Promise<string>);
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  iceTransportPolicy?: 'all' | 'relay';
  /** Default: the browser's, or node-datachannel's polyfill in Node. */
  RTCPeerConnection?: new (config?: object) => unknown;
  /** Fall back to the relay when no direct session opened within this (default 10000). */
  directTimeoutMs?: number;
  /** After a fallback, retry the direct path this often (default 30000). */
  directRetryMs?: number;
  /** Bytes held per peer (queued + unacknowledged) before send() rejects QUEUE_FULL (default 8 MiB). */
  maxQueueBytes?: number;
  /** Hub reconnect backoff (default [1000, 2000, 4000, 8000, 16000, 30000], ±20 % jitter). */
  reconnectDelaysMs?: number[];
  /** After a reconnect, how long a peer missing from a room may take to re-join (default 60000). */
  absentTimeoutMs?: number;
  /** GossipSub parameters for peer.pubsub (see GossipRouterOptions), or false for no pubsub. */
  gossip?: false | Omit<GossipRouterOptions, 'identity' | 'send' | 'clock' | 'now'>;
  /** Pubsub peer discovery: announce every announceMs (default 10000), forget after ttlMs
   *  (default 90000), keep at most maxPeers (default 1000); false turns it off. */
  discovery?: false | { announceMs?: number; ttlMs?: number; maxPeers?: number };
  /** Forward other peers' signalling between our links, for their mesh dials (default true). */
  forwardSignals?: boolean;
  /** The connection manager's water marks (defaults low 4, high 16, max 64), or false for none. */
  connections?: false | ConnectionManagerOptions;
  /** The application's Bitcoin wallet for peer.trades: the core never holds Bitcoin keys. */
  wallet?: TradeWallet;
  /** Trade timing and storage (see TradesOptions). */
  trades?: TradesOptions;
  /** Tips: the EIP-712 domain and the onTip hook. */
  tips?: TipsOptions;
}

/** What a trade asks of the application's wallet. PSBTs are BIP 174 / 370 bytes. */
export interface TradeWallet {
  /** Maker (psbt null): a PSBT with our inputs paying both trade outputs. Taker: `psbt` with our inputs added. */
  fundPsbt(psbt: Uint8Array | null, ctx: { trade: Trade }): Uint8Array | Promise<Uint8Array>;
  /** `psbt` with our inputs signed. */
  signPsbt(psbt: Uint8Array, ctx: { trade: Trade }): Uint8Array | Promise<Uint8Array>;
  /** Maker: finalize, extract and broadcast the combined PSBT; the txid (32 bytes or 64 hex digits). */
  broadcast(psbt: Uint8Array, ctx: { trade: Trade }): Uint8Array | string | Promise<Uint8Array | string>;
  /** Maker: where to be paid when trade.accept() is called without terms. */
  payout?(trade: Trade): TradeOutput | Promise<TradeOutput>;
  /** Tips: signs EIP-712 typed data (as viem's account.signTypedData); a 0x-hex signature. */
  signTypedData?(typedData: TipTypedData): string | Promise<string>;
}

/** A tip meta-transaction (seed 003). deadline in unix seconds. */
export interface TipMeta {
  from: string; to: string; amount: bigint | number | string; token: string;
  nonce: bigint | number | string; deadline: bigint | number | string; chainId: bigint | number | string;
}
export interface TipTypedData {
  domain: { name?: string; version?: string; chainId: number; verifyingContract?: string };
  types: typeof TIP_TYPES;
  primaryType: 'Tip';
  message: Record<keyof TipMeta, string | bigint>;
}
export interface Tip {
  /** The sender's peer id (the envelope's signer). */
  from: string;
  typedData: TipTypedData;
  /** The wallet's signature (0x-hex): verify it (viem's verifyTypedData) before relaying. */
  signature: string;
  meta: { from: string; to: string; amount: bigint; token: string; nonce: bigint; deadline: bigint; chainId: bigint };
}
export const TIP_TYPES: { Tip: ReadonlyArray<{ name: string; type: string }> };

export interface TipsEventMap {
  tip: CustomEvent<Tip>;
  /** A TIP_META was refused: TIP_MALFORMED, TIP_SIGNATURE, TIP_SIZE, TIP_SKEW, TIP_EXPIRED, TIP_REPLAY, TIP_SENDER. */
  refused: CustomEvent<{ peerId: string; code: string }>;
  'relay-error': CustomEvent<{ tip: Tip; error: unknown }>;
}

/** peer.tips. */
export class Tips extends EventTarget {
  private constructor();
  /** The EIP-712 domain (chainId comes from each tip). */
  readonly domain: { name?: string; version?: string; verifyingContract?: string };
  /** Signs with wallet.signTypedData and sends; resolves once the peer has it. Rejects NO_WALLET, PEER_NOT_CONNECTED. */
  send(peerId: string, meta: TipMeta): Promise<{ typedData: TipTypedData; signature: string }>;
  addEventListener<K extends keyof TipsEventMap>(type: K, listener: (ev: TipsEventMap[K]) => void, options?: boolean | StarlingListenerOptions): void;
  addEventListener(type: string, listener: StarlingEventListener | null, options?: boolean | StarlingListenerOptions): void;
}

export interface TipsOptions {
  /** The EIP-712 domain's name, version, verifyingContract (default { name: 'Starling Tips', version: '1' }). */
  domain?: { name?: string; version?: string; verifyingContract?: string };
  /** Called with every tip that passed the core's checks: forward it to your relayer. */
  onTip?(tip: Tip): void | Promise<void>;
}

export interface ReputationStatus {
  /** Decays toward 0 (half-life a week by default). */
  score: number;
  /** Below the refuse threshold: their proposals are rejected, we propose nothing to them. */
  refused: boolean;
  /** Below the ban threshold: their trade messages are dropped; views hide their orders. */
  banned: boolean;
  counts: Partial<Record<keyof typeof REPUTATION_POINTS, number>>;
}
export const REPUTATION_POINTS: { completed: number; timeout: number; canceled: number; invalid: number; terms: number; gossip: number };
export class Reputation extends EventTarget {
  constructor(opts?: { halfLifeMs?: number; refuseBelow?: number; banBelow?: number; clock?: () => number; save?: (bytes: Uint8Array) => void });
  record(peerId: string, event: keyof typeof REPUTATION_POINTS): void;
  of(peerId: string): ReputationStatus;
  refuses(peerId: string): boolean;
  bans(peerId: string): boolean;
  toBytes(): Uint8Array;
  load(bytes: Uint8Array): void;
}

export function memoryStorage(): TradeStorage;
/** Node: a directory of atomically written files (created on the first save). */
export function fileStorage(dir: string): TradeStorage;
/** Browsers: an IndexedDB database. */
export function indexedDbStorage(name: string): TradeStorage;

/** An output the trade's transaction must pay: a script (1-128 bytes, or hex) and satoshi. */
export interface TradeOutput { script: Uint8Array | string; value: number | bigint }

export interface TradesOptions {
  /** A step not done by then ends the trade: Expired while proposed, else Failed (default 30000). */
  stepTimeoutMs?: number;
  /** What the peer has not answered is sent again this often (default 5000). */
  resendMs?: number;
  /** A proposal's clock window (default 120000). */
  skewMs?: number;
  /** Where trades (and the reputation) are saved on every change, for peer.trades.restore():
   *  'auto' (default: IndexedDB in browsers, ~/.starling/trades/<peer id> in Node), 'memory',
   *  a directory path, or a storage object. */
  storage?: 'auto' | 'memory' | string | TradeStorage;
  /** Reputation thresholds and decay. */
  reputation?: { halfLifeMs?: number; refuseBelow?: number; banBelow?: number };
}

export interface TradeStorage {
  save(id: string, bytes: Uint8Array): Promise<void>;
  loadAll(): Promise<Uint8Array[]>;
  remove?(id: string): Promise<void>;
  saveMeta?(name: string, bytes: Uint8Array): Promise<void>;
  loadMeta?(name: string): Promise<Uint8Array | null>;
}

export type TradeState = 'proposed' | 'accepted' | 'maker-psbt-sent' | 'taker-psbt-sent' | 'maker-signed' |
  'taker-signed' | 'completed' | 'rejected' | 'failed' | 'canceled' | 'expired';

/** One trade (docs/protocol.md §11). */
export class Trade {
  private constructor();
  readonly id: string;
  readonly orderId: string;
  readonly role: 'maker' | 'taker';
  readonly state: TradeState;
  /** What our side must do next; the wallet is asked for all but 'decision'. */
  readonly want: 'nothing' | 'decision' | 'psbt' | 'update' | 'signature' | 'broadcast';
  /** Why it ended (TRADE_TIMEOUT, TRADE_TERMS, TRADE_CANCELED, TRADE_REJECTED, PSBT_*), or null. */
  readonly reason: string | null;
  /** The counterparty's reject or cancel text, or null. */
  readonly text: string | null;
  /** The counterparty's peer id. */
  readonly peerId: string;
  readonly amount: bigint;
  readonly makerOutput: { script: Uint8Array; value: number } | null;
  readonly takerOutput: { script: Uint8Array; value: number };
  /** Completed: the transaction id (hex, as the wallet gave it). */
  readonly txid: string | null;
  readonly createdAt: number;
  readonly stateAt: number;
  /** When the current step times out (ms since the epoch), or null once ended. */
  readonly deadline: number | null;
  readonly ended: boolean;
  readonly history: Array<{ state: TradeState; at: number; reason: string | null }>;
  /** The PSBT the wallet acts on now. */
  readonly psbt: Uint8Array | null;
  /** Maker: accepts, to be paid `terms` (default: wallet.payout(trade)). Throws TRADE_STATE. */
  accept(terms?: TradeOutput): Promise<void>;
  /** Maker, while proposed. Throws TRADE_STATE. */
  reject(reason?: string): void;
  /** Either side, until it has given its signatures. Throws TRADE_STATE. */
  cancel(reason?: string): void;
  /** The trade as bytes, as storage keeps it. */
  save(): Uint8Array;
  free(): void;
}

export interface TradesEventMap {
  'trade:update': CustomEvent<{ id: string; state: TradeState; reason: string | null; trade: Trade }>;
  /** A trade message from a peer was refused (the code says why). */
  refused: CustomEvent<{ peerId: string; code: string; id: string | null }>;
  'wallet-error': CustomEvent<{ id: string; step: string; error: unknown }>;
  /** A trade's state reached storage. */
  saved: CustomEvent<{ id: string; state: TradeState }>;
  'storage-error': CustomEvent<{ id: string; error: unknown }>;
}

/** peer.trades. */
export class Trades extends EventTarget {
  private constructor();
  readonly wallet: TradeWallet | null;
  readonly reputation: Reputation;
  /** Resolves to where trades are saved. */
  readonly storage: Promise<TradeStorage>;
  /** Taker: proposes to take `amount` of an order in one of our books, to be paid `terms`.
   *  Throws ORDER_UNKNOWN, PEER_REFUSED (the maker's reputation), TRADE_AMOUNT, TRADE_EXPIRED,
   *  TRADE_SENDER (our own order). */
  propose(orderId: string, amount: bigint | number, terms: TradeOutput): Trade;
  get(id: string): Trade | null;
  /** Newest first. */
  list(): Trade[];
  /** Resumes the trades in storage. */
  restore(): Promise<Trade[]>;
  addEventListener<K extends keyof TradesEventMap>(type: K, listener: (ev: TradesEventMap[K]) => void, options?: boolean | StarlingListenerOptions): void;
  addEventListener(type: string, listener: StarlingEventListener | null, options?: boolean | StarlingListenerOptions): void;
}

export const TRADE_STATES: ReadonlyArray<TradeState | null>;
/** BIP 174's Combiner: every key-value pair of both (same transaction, else PSBT_MISMATCH). */
export function combinePsbt(a: Bytes, b: Bytes): Uint8Array;
/** Parses a PSBT (v0 or v2; throws PSBT_*) and checks it pays each output. */
export function psbtPays(psbt: Bytes, outputs: TradeOutput[]): boolean;
/** What the core reads of a PSBT (throws PSBT_*). */
export function psbtInfo(psbt: Bytes): {
  version: 0 | 2; txVersion: number;
  inputs: Array<{ txid: string; index: number; sequence: number; amount: bigint | null; partialSigs: number }>;
  outputs: Array<{ script: Uint8Array; amount: bigint }>;
};

export interface ConnectionManagerOptions {
  /** Below this many connected peers, dial peers found through gossip (default 4). */
  low?: number;
  /** Above this many, prune the lowest-scored spare links (default 16). */
  high?: number;
  /** Hard cap on links: dial() rejects CONNECTION_LIMIT and mesh signalling opens no more (default 64). */
  max?: number;
  /** How often the marks are checked, in ms (default 5000; also soon after a discovery or a disconnect). */
  intervalMs?: number;
}

/** peer.connectionManager. Room peers and links with messages in flight are never pruned. */
export interface ConnectionManager {
  low: number;
  high: number;
  readonly max: number;
  /** One round now: dial up to low, prune down to high. */
  check(): void;
  readonly stats: { dials: number; dialsFailed: number; pruned: number };
}

/** How a peer was found: 'gossip' its announcement, 'hub' a shared room, 'px' a pruning neighbour's peer exchange. */
export type DiscoveryHow = 'gossip' | 'hub' | 'px';

/** A discovered peer. */
export interface DiscoveredPeer { peerId: string; multiaddrs: string[]; how: DiscoveryHow }

/** peer.discovery: the bounded store of discovered peers. */
export interface PeerDiscovery {
  /** The record while fresh; via: the neighbour its announcement first came through. */
  get(peerId: string): { multiaddrs: string[]; how: DiscoveryHow; via: string | null; expires: number } | undefined;
  list(): DiscoveredPeer[];
  readonly size: number;
  /** Publishes our announcement now (it also goes out on connect and every announceMs). */
  announce(): void;
}

/** 'direct': a WebRTC data channel on host or STUN-learned candidates; 'turn': a data
 *  channel through a TURN server; 'relay': the hub's end-to-end encrypted relay. */
export type PathKind = 'direct' | 'turn' | 'relay';
/** ICE candidate types of the pair a data channel uses ('host', 'srflx', 'prflx', 'relay'). */
export interface CandidateTypes { local: string; remote: string }

export interface PeerMetrics {
  /** Open sessions by the path they use now; pending: met, no path yet. */
  connections: { direct: number; turn: number; relay: number; pending: number };
  /** Times a path became the active one, by kind. */
  connectionsOpened: { direct: number; turn: number; relay: number };
  /** Per peer: first contact to session ready, in ms. */
  setupMs: number[];
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  relay: { fallbacks: number; bytesOut: number; messagesIn: number };
  /** heldBytes: queued or unacknowledged now; rejected: QUEUE_FULL; dropped: rejected when a peer went away. */
  queue: { heldBytes: number; rejected: number; dropped: number };
  outOfOrder: number;
  /** Messages written again on a new path because the old one had them unacknowledged. */
  resent: number;
  hub: { connected: boolean; connects: number; disconnects: number };
  /** The router's counters; dropped: RPCs a link's queue refused; topics: subscribed. Null without pubsub. */
  gossip: (GossipStats & { dropped: number; topics: number }) | null;
  /** peers: in the store now; announced: our announcements published. Null without discovery. */
  discovery: { peers: number; announced: number; records: { received: number; refused: number } } | null;
  /** SIGNAL frames forwarded for others and refused (malformed, no route, over the rate), dials made. */
  signalling: { forwarded: number; refused: number; meshDials: number };
  connectionManager: { dials: number; dialsFailed: number; pruned: number } | null;
}

/** peer.pubsub: GossipSub over the peer's links. See docs/api.md. */
export interface PubSub {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Resolves to the message id (hex) and how many peers it went to. Rejects with
   *  GOSSIP_NO_PEERS when no connected peer would receive it (unless allowNoPeers),
   *  GOSSIP_LIMIT over maxMessageBytes, GOSSIP_TOPIC_INVALID for a bad topic. */
  publish(topic: string, data: string | Uint8Array, opts?: { allowNoPeers?: boolean }): Promise<{ id: string; recipients: number }>;
  /** One validator per topic; only 'reject' costs the forwarder score. null removes it. */
  addValidator(topic: string, fn: ((msg: GossipMessage) => GossipVerdict | Promise<GossipVerdict>) | null): void;
  getTopics(): string[];
  getSubscribers(topic: string): string[];
  getMeshPeers(topic: string): string[];
  score(peerId: string): number;
  /** P5, the application's own score for a peer. */
  setAppScore(peerId: string, score: number): void;
}

export interface PeerEventMap {
  'peer:connect': CustomEvent<{ peerId: string; path: PathKind }>;
  'peer:disconnect': CustomEvent<{ peerId: string; reason?: string }>;
  'peer:error': CustomEvent<{ peerId: string; path: PathKind; code: string; message?: string }>;
  'connection:fallback': CustomEvent<{ peerId: string; reason: string }>;
  'connection:path': CustomEvent<{ peerId: string; path: PathKind | null }>;
  'message': CustomEvent<{ from: string; data: string | Uint8Array }>;
  'presence': CustomEvent<{ peerId: string; status: string }>;
  'hub:connect': CustomEvent<{ peerId: string; reconnect: boolean }>;
  'hub:disconnect': CustomEvent<{ code: number }>;
  'hub:error': CustomEvent<{ code: string; message?: string; peerId?: string; id?: string }>;
  'gossip:message': CustomEvent<{ topic: string; from: string; id: string; data: Uint8Array }>;
  'gossip:refused': CustomEvent<{ peerId: string; code: string; topic: string | null }>;
  'gossip:graylisted': CustomEvent<{ peerId: string }>;
  /** A new peer, or new addresses for one (not every repeated announcement). */
  'peer:discovery': CustomEvent<DiscoveredPeer>;
}

/** A peer: sessions with every peer in its rooms, direct or relayed. See docs/api.md. */
export class Peer extends EventTarget {
  private constructor();
  readonly peerId: string;
  /** GossipSub over this peer's links; null with `gossip: false`. */
  readonly pubsub: PubSub | null;
  /** Discovered peers; null with `gossip: false` or `discovery: false`. */
  readonly discovery: PeerDiscovery | null;
  /** Keeps connected peers between the water marks; null with `connections: false`. */
  readonly connectionManager: ConnectionManager | null;
  /** Opens a session without the hub: signalling goes through connected peers (SIGNAL frames).
   *  Rejects with PEER_NOT_DISCOVERED (no connected peer to ask), CONNECTION_LIMIT (connections.max
   *  links already) or DIAL_TIMEOUT (default timeoutMs: twice directTimeoutMs). */
  dial(peerId: string, opts?: { timeoutMs?: number }): Promise<void>;
  addEventListener<K extends keyof PeerEventMap>(type: K, listener: (ev: PeerEventMap[K]) => void, options?: boolean | StarlingListenerOptions): void;
  addEventListener(type: string, listener: StarlingEventListener | null, options?: boolean | StarlingListenerOptions): void;
  removeEventListener<K extends keyof PeerEventMap>(type: K, listener: (ev: PeerEventMap[K]) => void, options?: boolean | { capture?: boolean }): void;
  removeEventListener(type: string, listener: StarlingEventListener | null, options?: boolean | { capture?: boolean }): void;
  /** Joins a room (re-joined after every hub reconnect). */
  join(room: string): void;
  leave(room: string): void;
  /** Resolves when the receiver delivered it (exactly once). Rejects at the call with
   *  PEER_NOT_CONNECTED (never met), FRAME_TOO_LARGE (over 256 KiB - 5) or QUEUE_FULL, and
   *  with PEER_DISCONNECTED, PEER_LEFT or PEER_CLOSED when the session ended first: then the
   *  message was not delivered. The bytes are copied at the call. Handle the rejection. */
  send(peerId: string, data: string | Uint8Array, opts?: { priority?: 'normal' | 'high' }): Promise<void>;
  /** A status string (at most 1 KiB) sent to every connected peer as a PRESENCE frame. */
  setPresence(status: string): void;
  connections(): Array<{ peerId: string; path: PathKind; candidates?: CandidateTypes }>;
  /** The ICE servers new direct paths use: createPeer's iceServers, then the TURN servers
   *  (with short-lived credentials) the hub hands out when it is configured with `turn`. */
  readonly iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  metrics(): PeerMetrics;
  /** The orderbook of a pair ('BTC-USDT'), kept in step with the pair's peers: gossip deltas
   *  on starling/orderbook/<pair>/1, reconciliation on connect and every 60 s. The same book on
   *  later calls. Throws NO_PUBSUB with `gossip: false`, ORDER_PAIR for a bad pair. */
  orderbook(pair: string, opts?: NetworkOrderbookOptions): NetworkOrderbook;
  /** Trades on orders of this peer's books, run with the `wallet` given to createPeer. */
  readonly trades: Trades;
  /** Tip meta-transactions, signed by the `wallet`'s signTypedData. */
  readonly tips: Tips;
  /** What this peer thinks of peerId, from trade outcomes and orderbook faults. */
  reputation(peerId: string): ReputationStatus;
  /** Waits up to timeoutMs (default 500) for outstanding ACKs, says goodbye, closes everything. */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

/** Integers in minor units: bigint, a safe integer, or a decimal string. */
export type Units = bigint | number | string;
export type OrderSide = 'bid' | 'ask';

/** A signed order as the book holds it. Amounts are bigint (u64 in the core). */
export interface Order {
  id: string;
  kind: 'create' | 'update';
  /** The maker's peer id and Ed25519 key (hex). */
  maker: string;
  makerKey: string;
  pair: string;
  side: OrderSide;
  price: bigint;
  amount: bigint;
  /** What still rests (amount less fills). */
  remaining: bigint;
  minFill: bigint;
  createdAt: number;
  expiresAt: number;
  seq: bigint;
  data: Uint8Array;
  /** The order an update replaced (null for a create). */
  replaces: string | null;
  /** The signed bytes (on what place / update return). */
  message?: Uint8Array;
}

export interface OrderbookLimits {
  maxOrders?: number;
  maxOpenPerMaker?: number;
  /** Messages a second a maker may send, after a burst of makerBurst. */
  makerRate?: number;
  makerBurst?: number;
  /** A maker heard from neither by message nor keep-alive this long loses its orders (90000). */
  makerSilenceMs?: number;
}

export interface OrderbookOptions {
  /** 'BASE-QUOTE': two different ids of 1-12 of A-Z and 0-9. */
  pair: string;
  /** Signs place / cancel / update. */
  identity?: Identity | null;
  clock?: () => number;
  /** How far a live order's created time may be from now (120000). */
  skewMs?: number;
  limits?: OrderbookLimits;
}

export interface NetworkOrderbookOptions extends Omit<OrderbookOptions, 'pair' | 'identity'> {
  /** 'negentropy' (default) or 'snapshot': page through the whole book instead. */
  sync?: 'negentropy' | 'snapshot';
}

export type RemovalReason = 'cancelled' | 'expired' | 'replaced' | 'filled' | 'maker-gone';
export interface Level { price: bigint; amount: bigint; orders: number }
export interface Fill { id: string; price: bigint; amount: bigint }
export type ReceiveResult =
  | { ok: true; id: string; applied: boolean; added: boolean }
  | { ok: false; id: string | null; error: StarlingError };

export interface OrderbookEventMap {
  'order:added': CustomEvent<Order>;
  'order:removed': CustomEvent<{ id: string; reason: RemovalReason }>;
  sync: CustomEvent<{ peerId: string; received: number; sent: number; bytes: number; rounds: number }>;
  refused: CustomEvent<{ peerId: string; code: string }>;
}

/** One pair's book, no network: signed orders, price-time priority, matching. */
export class Orderbook extends EventTarget {
  constructor(opts: OrderbookOptions);
  readonly pair: string;
  readonly size: number;
  readonly bestBid: Order | null;
  readonly bestAsk: Order | null;
  addEventListener<K extends keyof OrderbookEventMap>(type: K, listener: (ev: OrderbookEventMap[K]) => void, options?: boolean | StarlingListenerOptions): void;
  addEventListener(type: string, listener: StarlingEventListener | null, options?: boolean | StarlingListenerOptions): void;
  removeEventListener<K extends keyof OrderbookEventMap>(type: K, listener: (ev: OrderbookEventMap[K]) => void, options?: boolean | { capture?: boolean }): void;
  removeEventListener(type: string, listener: StarlingEventListener | null, options?: boolean | { capture?: boolean }): void;
  /** Signs and adds an order; expiresIn ms (default 1 h, at most 24 h); data at most 256 bytes. */
  place(opts: { side: OrderSide | 'buy' | 'sell'; price: Units; amount: Units; minFill?: Units; expiresIn?: number; data?: Bytes }): Order & { message: Uint8Array };
  /** Cancels one of our orders; throws ORDER_UNKNOWN. */
  cancel(id: string): { id: string; target: string; message: Uint8Array };
  /** Replaces one of our orders (the side stays). */
  update(id: string, changes: { price?: Units; amount?: Units; minFill?: Units; expiresIn?: number; data?: Bytes }): Order & { message: Uint8Array };
  /** A signed message from elsewhere; never throws on bad input. synced: it may be old. */
  receive(message: Bytes, opts?: { synced?: boolean }): ReceiveResult;
  get(id: string): Order | null;
  /** The signed message of an order or tombstone held. */
  message(id: string): Uint8Array | null;
  bids(): Order[];
  asks(): Order[];
  best(): { bid: Order | null; ask: Order | null };
  depth(levels?: number): { bids: Level[]; asks: Level[] };
  /** What a taker on `side` would fill (own orders skipped); the book is unchanged. */
  match(side: OrderSide | 'buy' | 'sell', amount: Units, limitPrice?: Units, opts?: { maxFills?: number; taker?: Uint8Array | string }): Fill[];
  /** Records a trade against an order ('filled' once nothing remains). */
  filled(id: string, amount: Units): void;
  /** SHA-256 (hex) over both sides in priority order with what remains. */
  digest(): string;
  keepalive(makerKey: Uint8Array | string, now?: number): void;
  tick(now?: number): void;
  start(intervalMs?: number): this;
  close(): void;
}

/** peer.orderbook(pair): an Orderbook kept in step with the pair's peers. */
export class NetworkOrderbook extends Orderbook {
  private constructor();
  /** starling/orderbook/<pair>/1 */
  readonly topic: string;
  /** Reconciles with one connected peer now (throws NOT_CONNECTED). */
  sync(peerId: string): void;
  syncAll(): void;
  syncStats(peerId: string): { bytesIn: number; bytesOut: number; rounds: number; received: number; sent: number; refused: number; done: boolean } | null;
}

/** Opens a signed order message (throws ORDER_MALFORMED, ORDER_SIGNATURE, ...). */
export function openOrder(message: Bytes): Order | { id: string; kind: 'cancel'; maker: string; makerKey: string; createdAt: number; seq: bigint; target: string };
/** The gossip topic of a pair's book. */
export function orderbookTopic(pair: string): string;

export interface GossipRouterOptions {
  /** Signs this router's messages (StrictSign); must stay alive while the router is. */
  identity: Identity;
  /** Called with each RPC (one libp2p pubsub RPC) to deliver to peerId, in order. */
  send: (peerId: string, rpc: Uint8Array) => void;
  /** Seeds every random choice (mesh selection, gossip targets) and keys the router's hash
   *  tables: same seed, same run. Default: from crypto.getRandomValues. Keep it secret: a
   *  peer that knows it can pick message ids that crowd one run of a table. */
  seed?: number;
  /** Time at creation in ms (default clock()). */
  now?: number;
  /** The time source of tick() and start() (default Date.now). */
  clock?: () => number;
  /** Mesh degree and bounds (defaults 6, 4, 12, 6, 4, 2). */
  D?: number; Dlo?: number; Dhi?: number; Dlazy?: number; Dscore?: number; Dout?: number;
  heartbeatMs?: number;
  seenTtlMs?: number;
  fanoutTtlMs?: number;
  pruneBackoffMs?: number;
  /** Own messages go to every subscriber above the publish threshold (default true). */
  floodPublish?: boolean;
  /** Message id = SHA-256(data) instead of from || seqno (default false). */
  contentId?: boolean;
  /** Largest message data accepted or published (default 131072). */
  maxMessageBytes?: number;
  /** Messages this large or larger are announced with IDONTWANT (default 1024). */
  idontwantThreshold?: number;
  /** A validator that has not answered by then counts as 'ignore' (default 5000). */
  validationTimeoutMs?: number;
  /** Largest RPC sent or accepted (default 262144, one frame). */
  maxRpcBytes?: number;
  /** Peer exchange (PRUNE's peer list) is acted on only from peers scoring at least this (default 10). */
  acceptPxThreshold?: number;
}

export type GossipVerdict = 'accept' | 'reject' | 'ignore';

export interface GossipMessage {
  topic: string;
  /** The author's peer id (the signer). */
  from: string;
  /** The message id, hex. */
  id: string;
  data: Uint8Array;
  /** The neighbour it arrived from. */
  peer: string;
}

export interface GossipStats {
  rpcsIn: number; rpcsOut: number; bytesIn: number; bytesOut: number;
  published: number; delivered: number; forwarded: number; duplicates: number;
  refused: number; rejected: number; ignored: number;
  ihaveOut: number; iwantOut: number; graftOut: number; pruneOut: number; idontwantOut: number;
  iwantServed: number; promisesBroken: number; heartbeats: number;
}

export interface GossipRouterEventMap {
  'message': CustomEvent<GossipMessage>;
  /** A peer offered in a PRUNE's peer exchange, with its signed peer record (may be empty). */
  'peer-exchange': CustomEvent<{ peerId: string; via: string; topic: string; record: Uint8Array }>;
  /** Input from peerId was refused (GOSSIP_* code). */
  'refused': CustomEvent<{ peerId: string; code: string; topic: string | null }>;
  'graylisted': CustomEvent<{ peerId: string }>;
}

/** The C core's GossipSub v1.2 router over any transport. See docs/api.md. */
export class GossipRouter extends EventTarget {
  constructor(opts: GossipRouterOptions);
  readonly identity: Identity;
  addEventListener<K extends keyof GossipRouterEventMap>(type: K, listener: (ev: GossipRouterEventMap[K]) => void, options?: boolean | StarlingListenerOptions): void;
  addEventListener(type: string, listener: StarlingEventListener | null, options?: boolean | StarlingListenerOptions): void;
  removeEventListener<K extends keyof GossipRouterEventMap>(type: K, listener: (ev: GossipRouterEventMap[K]) => void, options?: boolean | { capture?: boolean }): void;
  removeEventListener(type: string, listener: StarlingEventListener | null, options?: boolean | { capture?: boolean }): void;
  addPeer(peerId: string, opts?: { outbound?: boolean }): void;
  removePeer(peerId: string): void;
  /** One RPC from peerId; hostile input becomes a 'refused' event, never a throw. */
  receive(peerId: string, rpc: Uint8Array): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Only 'reject' costs the forwarder score; throwing or a rejected promise counts as 'ignore'. */
  addValidator(topic: string, fn: ((msg: GossipMessage) => GossipVerdict | Promise<GossipVerdict>) | null): void;
  /** Throws GOSSIP_NO_PEERS when no peer can receive it (unless allowNoPeers), GOSSIP_LIMIT over maxMessageBytes. */
  publish(topic: string, data: string | Uint8Array, opts?: { allowNoPeers?: boolean }): { id: string; recipients: number };
  tick(now?: number): void;
  /** Calls tick() every intervalMs (default 100). */
  start(intervalMs?: number): this;
  stop(): void;
  setAppScore(peerId: string, score: number): void;
  /** A connected peer's signed peer record (libp2p Envelope, at most 4 KiB), offered in peer exchange. */
  setPeerRecord(peerId: string, envelope: Uint8Array): void;
  /** Connected peers, lowest score first, without the last mesh member of any subscribed topic. */
  pruneOrder(): string[];
  score(peerId: string): number;
  getTopics(): string[];
  getSubscribers(topic: string): string[];
  getMeshPeers(topic: string): string[];
  stats(): GossipStats;
  close(): void;
  [Symbol.dispose](): void;
}

/** The pubsub peer discovery topic, "_peer-discovery._p2p._pubsub". */
export const DISCOVERY_TOPIC: string;
/** A multiaddr's binary form; throws MULTIADDR_INVALID (also for protocols Starling does not read). */
export function multiaddrToBytes(text: string): Uint8Array;
export function multiaddrFromBytes(bytes: Uint8Array): string;
/** libp2p pubsub peer discovery's Peer { publicKey, addrs } for this identity. */
export function encodeAnnouncement(identity: Identity, multiaddrs: string[]): Uint8Array;
/** Throws DISCOVERY_MALFORMED; addresses in protocols Starling does not read are left out. */
export function decodeAnnouncement(bytes: Uint8Array): { peerId: string; multiaddrs: string[] };
/** A libp2p signed peer record (Envelope, domain "libp2p-peer-record"). */
export function sealPeerRecord(identity: Identity, seq: number, multiaddrs: string[]): Uint8Array;
/** Checks the signature and that the record names the signer; throws PEER_RECORD_INVALID. */
export function openPeerRecord(bytes: Uint8Array): { peerId: string; seq: number; multiaddrs: string[] };

/** Connects to the hub (like connectHub) and returns a Peer that keeps an
 *  end-to-end encrypted session with every peer in its rooms. */
export function createPeer(opts: CreatePeerOptions): Promise<Peer>;
