/**
 * Session state [MQTT 5 §4.1]: subscriptions, messages queued or in flight towards the client,
 * inbound QoS 2 packet ids awaiting PUBREL, and the will. Lives as long as its connection for a
 * clean session, and `expiryInterval` seconds beyond it for a persistent one.
 */
import type { ClientInfo } from './api.js';
import type { Connection } from './connection.js';
import { MessageQueue } from './queue.js';
import { SmallMap } from './small-map.js';
import type { Outgoing, Subscription, Will } from './types.js';

class RareFields {
  cancelWill: (() => void) | undefined = undefined;
  willInfo: ClientInfo | undefined = undefined;
  held: Buffer[] | undefined = undefined;
  heldConn: Connection | undefined = undefined;
  roomWait: Promise<void> | undefined = undefined;
  roomResolve: (() => void) | undefined = undefined;
}

export class Session {
  /** Subscriptions by filter as sent (one inline, a Map from the second: small-map.ts). */
  readonly subs = new SmallMap<string, Subscription>();
  private inflightMap: Map<number, Outgoing> | undefined;
  private incomingSet: Set<number> | undefined;
  /**
   * Sent and not yet acknowledged, by packet id. Allocated on first use: an idle session (most of
   * a fleet) never needs it, and each empty Map costs ~200 bytes (docs/benchmarks.md, memory).
   */
  get inflight(): Map<number, Outgoing> {
    return (this.inflightMap ??= new Map());
  }
  /** Number in flight, without allocating the map. */
  get inflightCount(): number {
    return this.inflightMap?.size ?? 0;
  }
  private q: MessageQueue | undefined;
  /** Waiting to be sent, oldest first; allocated on first use (an idle session has none). */
  get queue(): MessageQueue {
    return (this.q ??= new MessageQueue());
  }
  /** Number waiting, without allocating the queue. */
  get queued(): number {
    return this.q === undefined ? 0 : this.q.length;
  }
  /** Forget every in-flight message and inbound QoS 2 id (the session ends). */
  clearFlights(): void {
    this.inflightMap = undefined;
    this.incomingSet = undefined;
  }
  /** Inbound QoS 2 packet ids received and not yet released [MQTT-4.3.3-…]; allocated on first use. */
  get incoming(): Set<number> {
    return (this.incomingSet ??= new Set());
  }
  conn: Connection | undefined;
  /** Seconds; 0 = ends with the connection. */
  expiryInterval = 0;
  /** Epoch ms of the last disconnect while offline. */
  disconnectedAt: number | null = null;
  protocolVersion: 3 | 4 | 5 = 4;
  will: Will | undefined;
  /** A session row exists in persistence. */
  stored = false;
  /** A will row exists in persistence (cleared when the will is published or discarded). */
  willStored = false;
  /**
   * Epoch ms of the last sign of progress while messages are outstanding: an acknowledgement, a
   * socket 'drain', or the first message put in flight after an idle period. Flow control holds
   * publishers only for a subscriber that made progress within the stall bound.
   */
  progressAt = 0;
  /** Fields most sessions never use, allocated on first write (idle memory). */
  private rare: RareFields | undefined;
  private setRare<K extends keyof RareFields>(k: K, v: RareFields[K]): void {
    if (v === undefined && this.rare === undefined) return;
    (this.rare ??= new RareFields())[k] = v;
  }
  /** Cancels a delayed will (MQTT 5 Will Delay Interval). */
  get cancelWill(): (() => void) | undefined {
    return this.rare?.cancelWill;
  }
  set cancelWill(v: (() => void) | undefined) {
    this.setRare('cancelWill', v);
  }
  /** The client as it last connected, kept with a will restored after a restart. */
  get willInfo(): ClientInfo | undefined {
    return this.rare?.willInfo;
  }
  set willInfo(v: ClientInfo | undefined) {
    this.setRare('willInfo', v);
  }
  /**
   * Packets for `heldConn` held until the state they announce is committed (PUBLISH with a new
   * packet id, PUBREL): a client must never hold a packet id the store does not know about, or a
   * restarted broker would reuse it while unreleased. Sent in order once the writer catches up.
   */
  get held(): Buffer[] | undefined {
    return this.rare?.held;
  }
  set held(v: Buffer[] | undefined) {
    this.setRare('held', v);
  }
  get heldConn(): Connection | undefined {
    return this.rare?.heldConn;
  }
  set heldConn(v: Connection | undefined) {
    this.setRare('heldConn', v);
  }
  /** Publishers held because this session's queue is full; resolved once there is room again. */
  get roomWait(): Promise<void> | undefined {
    return this.rare?.roomWait;
  }
  set roomWait(v: Promise<void> | undefined) {
    this.setRare('roomWait', v);
  }
  get roomResolve(): (() => void) | undefined {
    return this.rare?.roomResolve;
  }
  set roomResolve(v: (() => void) | undefined) {
    this.setRare('roomResolve', v);
  }
  private nextId = 1;

  constructor(readonly clientId: string) {}

  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  /**
   * After a restart: continue numbering after the highest restored in-flight id, so ids the
   * client may still hold (sent, or PUBREC'd and awaiting PUBREL) are neither reused nor the
   * next ones handed out. `allocatePacketId` also skips every id still in flight.
   */
  restoreAllocator(): void {
    let max = 0;
    for (const id of this.inflight.keys()) if (id > max) max = id;
    this.nextId = max >= 65535 ? 1 : max + 1;
  }

  /** A packet id not in use by any in-flight message [MQTT-2.2.1-3]; 0 when all 65535 are taken. */
  allocatePacketId(): number {
    if (this.inflightCount >= 65535) return 0;
    for (;;) {
      const id = this.nextId;
      this.nextId = id === 65535 ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
  }
}
