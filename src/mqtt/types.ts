/** Internal shapes shared by the broker's parts (not part of the public API in api.ts). */
import type { ClientInfo, PublishProperties, QoS } from './api.js';

/** A routed application message. Immutable once routed; shared by every delivery. */
export interface Message {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  /** Publishing client id; undefined when the platform published. */
  publisherId: string | undefined;
  /** Epoch ms after which the message is dropped (MQTT 5 Message Expiry Interval). */
  expiresAt: number | undefined;
  /**
   * A client's QoS 2 PUBLISH: an id unique cluster-wide (`<broker>.<seq>`, qos2-resend.ts). A resend
   * of a PUBLISH that was never acknowledged carries the id of the first attempt, so the nodes that
   * already queued it do not queue it again (docs/cluster.md, "QoS 2 after a forward timeout").
   */
  id?: string;
}

/** A client's subscription (one per filter per session). */
export interface Subscription {
  clientId: string;
  /** The filter as the client sent it (including any `$share/{group}/` prefix). */
  raw: string;
  /** The filter used for matching. */
  filter: string;
  group: string | undefined;
  qos: QoS;
  /** MQTT 5 No Local. */
  nl: boolean;
  /** MQTT 5 Retain As Published. */
  rap: boolean;
  /** MQTT 5 Retain Handling 0/1/2. */
  rh: number;
  /** MQTT 5 Subscription Identifier. */
  subId: number | undefined;
}

/**
 * A message on its way to one session.
 * - `queued`: waiting (client offline, window full, or socket not draining); no packet id yet.
 * - `sent`: PUBLISH sent with `packetId`, waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
 * - `pubrel`: PUBREC received and PUBREL sent, waiting for PUBCOMP (QoS 2).
 */
export type OutgoingState = 'queued' | 'sent' | 'pubrel';

export interface Outgoing {
  /** Unique per broker (persistence key with the client id). */
  seq: number;
  msg: Message;
  qos: QoS;
  retain: boolean;
  subIds: number[] | undefined;
  packetId: number;
  state: OutgoingState;
  /** Written to persistence (the session is persistent and qos > 0). */
  persisted: boolean;
}

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  /** MQTT 5 Will Delay Interval, seconds. */
  delay: number;
  /** MQTT 5 Message Expiry Interval of the will, seconds (counted from publication). */
  expiryInterval: number | undefined;
  /** The client as it connected: the will is authorized as this client when it is due. */
  client?: ClientInfo;
}
