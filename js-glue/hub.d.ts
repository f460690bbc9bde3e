// Types for 'starling/hub' (Node only): the signaling + relay hub.

export interface HubOptions {
  port?: number;               // default 0 (any free port)
  host?: string;               // default '127.0.0.1'
  /** HS256 secret (at least 32 bytes). Exactly one of jwtSecret / jwtPublicKey. */
  jwtSecret?: string | Uint8Array;
  /** EdDSA issuer public key: 32 raw bytes or their base64url. */
  jwtPublicKey?: string | Uint8Array;
  audience?: string;           // checked against aud when set
  issuer?: string;             // checked against iss when set
  jwtSkewSeconds?: number;     // <= 60, default 60
  tickMs?: number;             // timer resolution, default 1000
  /** Enables POST /dev/token (HS256 only). Never in production. */
  dev?: boolean;
  /** Handles HTTP requests the hub does not (e.g. serving a demo): Node's
   *  (IncomingMessage, ServerResponse), typed loosely so the types do not
   *  require @types/node. */
  requestHandler?: (req: any, res: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  maxMessage?: number;         // bytes per text message, default 65536
  maxRoomsPerClient?: number;  // default 16
  maxPeersPerRoom?: number;    // default 1024
  maxConnections?: number;     // default 20000
  authTimeoutMs?: number;      // default 10000
  pingIntervalMs?: number;     // default 30000
  staleMs?: number;            // default 60000
  messageRate?: number;        // per connection per second, default 100
  messageBurst?: number;       // default 400
  connectRate?: number;        // per address per second, default 20
  connectBurst?: number;       // default 100
  authRate?: number;           // per address per second, default 20
  authBurst?: number;          // default 100
  relayMaxBytes?: number;      // per relay path, default 64 MiB
  relayMaxMs?: number;         // per relay path, default 600000
  relayRate?: number;          // relay records per second per connection, default 2000
  relayBurst?: number;         // default 4000
  joinRate?: number;           // join/leave per connection per second, default 2
  joinBurst?: number;          // default 20
  /** What a client may leave unread before it is closed (4008), default 4 MiB. */
  maxBufferedBytes?: number;
  /** TCP sockets open from one address, counted before HTTP; default 512. */
  maxSocketsPerAddress?: number;
  /** Time to send the HTTP upgrade request, default 10000. */
  headersTimeoutMs?: number;
  /** TURN servers whose credentials the hub hands to every authenticated client (an
   *  `ice-servers` message after `authenticated`, renewed every ttlSeconds / 2), in coturn's
   *  shared-secret scheme: `secret` is coturn's static-auth-secret. */
  turn?: { secret: string; urls: string | string[]; ttlSeconds?: number };
  /** Share rooms, presence, signalling and relay paths with every hub started with the same
   *  Redis (redis:// or rediss:// URL; needs the package `redis`). Without it the hub is a
   *  single process with no Redis. */
  redis?: string;
  /** Key and channel prefix on Redis (default 'starling'): separate clusters on one Redis. */
  redisPrefix?: string;
  /** Called with errors after start: HUB_FAILED (out of memory, the hub stopped serving)
   *  and the HTTP server's own (an accept failing). Logged when absent. */
  onError?: (err: Error & { code?: string }) => void;
}

export interface MintTokenOptions {
  /** HS256 secret, at least 32 bytes. Exactly one of secret / privateKey. */
  secret?: string | Uint8Array;
  /** EdDSA: the issuer's 32-byte Ed25519 seed (or a node:crypto KeyObject). */
  privateKey?: Uint8Array | object;
  /** The client identity's public key: 32 bytes or their unpadded base64url. */
  publicKey: string | Uint8Array;
  userId: string;
  ttlSeconds?: number;         // default 3600
  audience?: string;
  issuer?: string;
  /** The issue time in ms since the epoch (default Date.now()). */
  now?: number;
}

/** A JWT a hub configured with the same key (and audience / issuer) accepts. */
export function mintToken(opts: MintTokenOptions): string;

/** A TURN credential in coturn's shared-secret (TURN REST) scheme: username
 *  "<expiry unix seconds>:<user>", credential base64(HMAC-SHA1(secret, username)). */
export function turnCredential(secret: string, user: string, ttlSeconds: number, nowMs?: number): { username: string; credential: string };

export interface Hub {
  /** What peers pass as hubUrl (ws://host:port). */
  readonly url: string;
  readonly httpUrl: string;
  readonly port: number;
  /** Prometheus text, as served at /metrics. */
  metrics(): string;
  close(): Promise<void>;
}

export function startHub(opts: HubOptions): Promise<Hub>;
