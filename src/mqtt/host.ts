/**
 * What the packet handlers (handlers/), the rooms and the timers see of the broker: a small
 * interface instead of the class, so no handler reaches into the broker's fields. The rooms:
 * - sessions (sessions.ts): the session table, attach/detach, subscriptions, session end;
 * - delivery (delivery.ts): per-session QoS flows, the queue and flow control;
 * - fan-out (fan-out.ts): routing a message to every matching subscriber — the seam where a
 *   cluster fan-out plugs in (docs/cluster.md);
 * - retained (retained-room.ts), wills (wills.ts), sweep (sweep.ts, the broker's timers).
 */
import type { BrokerLimits } from '../core/index.js';
import type { BrokerHooks } from './api.js';
import type { Connection } from './connection.js';
import type { Delivery } from './delivery.js';
import type { DurableHost } from './durable-send.js';
import type { RouteScope } from './fan-out.js';
import type { PersistOp } from './persistence.js';
import type { Qos2Resends } from './qos2-resend.js';
import type { RetainedRoom } from './retained-room.js';
import type { RouteResult } from './route.js';
import type { SessionRoom } from './sessions.js';
import type { Message } from './types.js';
import type { WillRoom } from './wills.js';

export interface BrokerCounters {
  messagesReceived: number;
  messagesSent: number;
  bytesReceived: number;
  bytesSent: number;
  publishDropped: number;
  platformDropped: number;
  willsDenied: number;
}

/** Writes broker state through the group commit; `opsPushed` tells whether an ack must wait. */
export interface StateWriter extends DurableHost {
  persist(op: PersistOp): void;
}

export interface BrokerHost extends StateWriter {
  readonly limits: BrokerLimits;
  readonly hooks: BrokerHooks;
  readonly counters: BrokerCounters;
  readonly sessions: SessionRoom;
  readonly delivery: Delivery;
  readonly retained: RetainedRoom;
  readonly wills: WillRoom;
  /** Unacknowledged QoS 2 PUBLISHes whose resends are recognised (and new QoS 2 message ids). */
  readonly resends: Qos2Resends;
  /** Started and not closing: new clients are accepted and wills are published. */
  readonly running: boolean;
  now(): number;
  /** The time base of connections' `lastSeen` (Connection.lastSeen). */
  seenNow(): number;
  /** Route a message to every matching subscriber and server-side handler (`scope.resend`: forward only). */
  route(msg: Message, scope?: RouteScope): RouteResult;
  /** Cluster: take the session from the node holding it, load it here (handover.ts); undefined: nothing to wait for. */
  claimSession(clientId: string, clean: boolean): Promise<void> | undefined;
  /** Cluster: sessions live in the shared store and move between nodes (handover.ts). */
  readonly sharedSessions: boolean;
  /** Connect attempts per second per remote address exceeded (limits.connectRatePerIp). */
  connectRateExceeded(ip: string): boolean;
  /** Out-of-order or invalid packet: log one line, MQTT 5 DISCONNECT (0x82 by default), close. */
  protocolError(conn: Connection, why: string, reasonCode?: number): void;
  /** Continue after an async step: unblock the connection and process what arrived meanwhile. */
  resume(conn: Connection): void;
  /** Stop reading `conn` until `wait` resolves (flow control). */
  holdConnection(conn: Connection, wait: Promise<void>): void;
}
