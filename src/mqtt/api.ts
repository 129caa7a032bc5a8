/**
 * What the broker offers the rest of the platform, and the policy hooks the app injects into it.
 * The broker knows nothing about devices, shadows or rules (ARCHITECTURE.md): it calls these hooks
 * the way a kernel calls its plugins. Other modules use only `BrokerApi`.
 */
import type { Duplex } from 'node:stream';
import type { DisconnectReason } from '../core/index.js';

export type QoS = 0 | 1 | 2;

/** MQTT 5 publish properties that applications read or set. */
export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
}

/** A message as server-side subscribers see it. */
export interface BrokerMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
  /** The publishing client's id; undefined when the platform itself published. */
  clientId?: string;
}

/** What the broker knows about a connected (or connecting) client. */
export interface ClientInfo {
  clientId: string;
  username?: string;
  remoteAddress: string;
  protocolVersion: 3 | 4 | 5;
  keepalive: number;
  cleanStart: boolean;
  /** SHA-256 fingerprint (lowercase hex, no colons) of the TLS client certificate, if any. */
  certFingerprint?: string;
  transport: 'tcp' | 'tls' | 'ws' | 'wss';
}

/**
 * Result of authentication. `reasonCode` is the MQTT 5 CONNACK reason code
 * (0x86 bad user name or password, 0x87 not authorized, 0x8A banned …); the broker maps it
 * to the 3.1.1 return code for older clients [MQTT-3.2.2-…].
 */
export type AuthResult = { ok: true } | { ok: false; reasonCode: number; reason?: string };

export interface BrokerHooks {
  /** Called once per CONNECT. Default: allow only when `allowAnonymous`. */
  authenticate(
    client: ClientInfo,
    username: string | undefined,
    password: Buffer | undefined,
  ): AuthResult | Promise<AuthResult>;
  /** Hot path: return synchronously where possible (cached decisions). */
  authorizePublish(client: ClientInfo, topic: string): boolean | Promise<boolean>;
  authorizeSubscribe(client: ClientInfo, filter: string): boolean | Promise<boolean>;
  /** After CONNACK was sent with success. */
  onConnect(client: ClientInfo): void;
  /** When a connection ends, or a CONNECT is refused (`refused` true). */
  onDisconnect(
    client: ClientInfo,
    reason: DisconnectReason,
    detail?: { refused?: boolean; message?: string },
  ): void;
}

export interface PublishRequest {
  topic: string;
  payload: Buffer | string;
  qos?: QoS;
  retain?: boolean;
  properties?: PublishProperties;
}

/** Why a copy of a platform publish was not delivered (route.ts). */
export type PublishDropReason = 'queue_full' | 'too_large';

/**
 * What a platform publish did. A drop is never silent: `drops` lists (up to 32 of) the sessions
 * that did not get a copy and why, `dropCount` counts them all. In a cluster, a QoS 1/2 publish
 * also counts the drops of the nodes it was forwarded to (`node` set); QoS 0 forwards are not
 * answered, so only this node's drops are known.
 */
export interface PublishResult {
  /** Sessions on this node that got a copy (sent, in flight or queued). */
  delivered: number;
  /** Other nodes the message was forwarded to (cluster). */
  forwarded: number;
  dropCount: number;
  drops: { clientId: string; reason: PublishDropReason; node?: string }[];
}

/** A handler's promise delays the PUBACK/PUBREC to the publisher until it settles (durability, backpressure). */
export type MessageHandler = (msg: BrokerMessage) => void | Promise<void>;

export interface BrokerApi {
  /**
   * Publish as the platform (no ACL check). Resolves when the message is routed (and durable, for
   * QoS > 0), with what was delivered and dropped: callers check `dropCount` (a command whose copy
   * for its device was dropped fails with the reason). Rejects when it was not routed (closed
   * broker, invalid topic, persistence failure, a cluster node that did not accept it in time).
   */
  publish(msg: PublishRequest): Promise<PublishResult>;
  /** A server-side subscription (wildcards allowed; `$`-topics need an explicit `$` prefix). Returns unsubscribe. */
  subscribe(filter: string, handler: MessageHandler): () => void;
  /** Disconnect a client now (MQTT 5 clients get DISCONNECT with `reasonCode`). Returns false if not connected. */
  disconnect(clientId: string, reasonCode?: number, reason?: DisconnectReason): boolean;
  isConnected(clientId: string): boolean;
  clientInfo(clientId: string): ClientInfo | undefined;
  /** Install policy hooks (the app does this once at wiring time). */
  setHooks(hooks: Partial<BrokerHooks>): void;
}

/** What a listener knows about a new network connection before MQTT starts. */
export interface ConnectionMeta {
  remoteAddress: string;
  transport: 'tcp' | 'tls' | 'ws' | 'wss';
  certFingerprint?: string;
}

export interface Broker extends BrokerApi {
  /** Take ownership of a connected byte stream (TCP socket, TLS socket, WebSocket stream). */
  handleConnection(stream: Duplex, meta: ConnectionMeta): void;
  /** Load persisted sessions and retained messages; call before accepting connections. */
  start(): Promise<void>;
  /**
   * Publish the wills of clients that were connected when the broker last stopped or crashed;
   * call once server-side subscribers are wired (else the first 1 s sweep after start does it).
   */
  publishRestoredWills(): void;
  /** Disconnect everyone (reason: server shutting down), flush persistence. */
  close(): Promise<void>;
  /** Counters for /metrics and $SYS. */
  stats(): BrokerStats;
}

export interface BrokerStats {
  clientsConnected: number;
  clientsTotal: number; // sessions, connected or not
  messagesReceived: number;
  messagesSent: number;
  bytesReceived: number;
  bytesSent: number;
  publishDropped: number; // copies dropped: a queue was full, or bigger than the client accepts
  /** Copies of platform publishes (`BrokerApi.publish`) dropped, here and on nodes that answered. */
  platformDropped: number;
  willsDenied: number; // wills dropped because authorizePublish refused them when due
  retainedCount: number;
  subscriptionsCount: number;
  inflightCount: number;
  queuedCount: number;
}
