/**
 * The cross-node fan-out's wire format (cluster/nats-fan-out.ts): interest announcements and
 * forwarded messages (a 4-byte header length, the JSON header, the payload).
 */
import { ErrorCode, type NatsError } from 'nats';
import type { Message } from '../mqtt/index.js';

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
}

export function header(msg: Message): Header {
  const h: Header = { t: msg.topic, q: msg.qos };
  if (msg.retain) {
    h.r = 1;
    h.k = 1;
  }
  if (msg.publisherId !== undefined) h.c = msg.publisherId;
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
