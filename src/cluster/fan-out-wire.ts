/**
 * The cross-node fan-out's wire format (cluster/nats-fan-out.ts): interest announcements and
 * forwarded messages (a 4-byte header length, the JSON header, the payload).
 */
import { ErrorCode, type NatsConnection, type NatsError } from 'nats';
import type { Logger } from '../core/index.js';
import type { Message } from '../mqtt/index.js';

export interface NatsFanOutOptions {
  nc: NatsConnection;
  /** Subject prefix shared by the nodes of one cluster (`<events subject>.mqtt`). */
  base: string;
  nodeId: string;
  log: Logger;
  /** Full interest set announced every … ms (default 2000). */
  resyncMs?: number;
  /** A member not heard for … ms is dropped (default 3 × resyncMs). */
  expireMs?: number;
  /** How long the origin waits for a node to accept a forwarded QoS 1/2 message (default 5000). */
  ackTimeoutMs?: number;
  /** Member id (default `<nodeId>-<random>`); the cluster passes `memberOf(ownership owner)`. */
  member?: string;
  /** This node's ownership member id, announced so the adopter of a dead node can name it. */
  owner?: string;
  /**
   * A node that answers "no responders" to a QoS 1/2 forward has died (or lost NATS): the message
   * waits until another node adopted its sessions and goes there, for up to … ms (default 30000).
   */
  orphanWaitMs?: number;
  /** Periodic announcement: a digest of the filter set (default), or the whole set (`false`). */
  digest?: boolean;
  /** Ids of forwarded QoS 2 messages accepted here are kept … ms (default 120000), at most `dedupeMax` (100000). */
  dedupeWindowMs?: number;
  dedupeMax?: number;
}

export interface FanOutStats {
  forwardedOut: number;
  forwardedIn: number;
  /** Forwarded QoS 1/2 messages a node did not accept in time: the publisher was not acknowledged. */
  forwardTimeouts: number;
  /** Copies of forwarded QoS 1/2 messages that the receiving nodes reported dropped (queue full, too large). */
  forwardDropped: number;
  /** CONNECTs that asked the other nodes for their session, and sessions another node handed over. */
  claims: number;
  sessionsTakenOver: number;
  remoteMembers: number;
  remoteFilters: number;
  /** Dead members whose sessions and wills this node adopted, and the clients adopted. */
  adoptedMembers: number;
  adoptedClients: number;
  /** QoS 1/2 forwards re-sent to the adopter of a dead member (or delivered here as adopter). */
  redelivered: number;
  /** Forwarded QoS 2 messages answered from the seen window instead of delivered again (a resend). */
  deduplicated: number;
}

export function newStats(): FanOutStats {
  return {
    forwardedOut: 0,
    forwardedIn: 0,
    forwardTimeouts: 0,
    forwardDropped: 0,
    claims: 0,
    sessionsTakenOver: 0,
    remoteMembers: 0,
    remoteFilters: 0,
    adoptedMembers: 0,
    adoptedClients: 0,
    redelivered: 0,
    deduplicated: 0,
  };
}

/** The fan-out member id (a NATS subject token) of an ownership member id. */
export const memberOf = (owner: string): string => owner.replace(/[^A-Za-z0-9_-]/g, '_');

export type Announce =
  | { o: string; s: number; k: 'f'; a: string[]; w?: string }
  | { o: string; s: number; k: 'd'; a: string[]; d: string[] }
  | { o: string; s: number; k: 'h'; to?: string; w?: string }
  | { o: string; s: number; k: 'b' }
  /** Digest of the sender's filter set (`InterestTable.digestOf`), every resync interval. */
  | { o: string; s: number; k: 'g'; g: string; w?: string }
  /** `by` adopted the sessions of dead member `m`: forget `m`, send what was meant for it to `by`. */
  | { o: string; s: number; k: 'x'; m: string; by: string };

export interface Header {
  t: string;
  q: 0 | 1 | 2;
  r?: 1;
  /** Keep as retained (in memory). */
  k?: 1;
  c?: string;
  e?: number;
  p?: Record<string, unknown>;
  cd?: string;
  /** `$share/…` groups this node delivers. */
  g?: string[];
  /** Re-sent for the sessions this node adopted from dead member `a` only. */
  a?: string;
  /** A client's QoS 2 message: its id (`Message.id`), deduplicated by the receivers. */
  i?: string;
}

export function header(msg: Message): Header {
  const h: Header = { t: msg.topic, q: msg.qos };
  if (msg.retain) {
    h.r = 1;
    h.k = 1;
  }
  if (msg.publisherId !== undefined) h.c = msg.publisherId;
  if (msg.id !== undefined) h.i = msg.id;
  if (msg.expiresAt !== undefined) h.e = msg.expiresAt;
  if (msg.properties) {
    const { correlationData, ...rest } = msg.properties as Record<string, unknown> & {
      correlationData?: Buffer;
    };
    h.p = rest;
    if (correlationData) h.cd = Buffer.from(correlationData).toString('base64');
  }
  return h;
}

export function encodeFrame(h: Header, payload: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(h));
  const frame = Buffer.allocUnsafe(4 + json.length + payload.length);
  frame.writeUInt32BE(json.length, 0);
  json.copy(frame, 4);
  payload.copy(frame, 4 + json.length);
  return frame;
}

/** A forwarded frame's header and message; throws on a malformed frame. */
export function decodeFrame(data: Uint8Array): { h: Header; msg: Message } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const n = buf.readUInt32BE(0);
  const h = JSON.parse(buf.toString('utf8', 4, 4 + n)) as Header;
  return { h, msg: decodeMessage(h, Buffer.from(buf.subarray(4 + n))) };
}

export function decodeMessage(h: Header, payload: Buffer): Message {
  const props = h.p
    ? { ...h.p, ...(h.cd ? { correlationData: Buffer.from(h.cd, 'base64') } : {}) }
    : undefined;
  return {
    topic: h.t,
    payload,
    qos: h.q,
    retain: h.r === 1,
    properties: props,
    publisherId: h.c,
    expiresAt: h.e,
  };
}

export const noResponders = (err: NatsError): boolean => String(err.code) === String(ErrorCode.NoResponders);
