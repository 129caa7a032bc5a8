/**
 * Session state [MQTT 5 §4.1]: subscriptions, messages queued or in flight towards the client,
 * inbound QoS 2 packet ids awaiting PUBREL, and the will. Lives as long as its connection for a
 * clean session, and `expiryInterval` seconds beyond it for a persistent one.
 */
import type { ClientInfo } from './api.js';
import type { Connection } from './connection.js';
import { DELIVERED_KEEP_MS, DELIVERED_MAX } from './persistence.js';
import { MessageQueue } from './queue.js';
import type { Outgoing, Subscription, Will } from './types.js';

class RareFields {
  will: Will | undefined = undefined;
  disconnectedAt: number | null = null;
  cancelWill: (() => void) | undefined = undefined;
  willInfo: ClientInfo | undefined = undefined;
  held: Buffer[] | undefined = undefined;
  heldConn: Connection | undefined = undefined;
  roomWait: Promise<void> | undefined = undefined;
  roomResolve: (() => void) | undefined = undefined;
}

/** Bits of `Session.bits`. */
const STORED = 1;
const WILL_STORED = 2;
const VERSION_SHIFT = 2;

/** A session's outgoing and inbound QoS state (see the accessors on `Session`). */
class Flows {
  inflight: Map<number, Outgoing> | undefined = undefined;
  incoming: Set<number> | undefined = undefined;
  routedAs: Map<number, string> | undefined = undefined;
  delivered: Map<string, { at: number; by: number }> | undefined = undefined;
  queue: MessageQueue | undefined = undefined;
  nextId = 1;
  progressAt = 0;
}

export class Session {
  /**
   * Subscriptions by filter as sent (`raw`): most sessions have one (a device's own command
   * topic), held directly; a Map from the second. An empty V8 Map costs ~180 bytes, a wrapper
   * object ~30 (idle memory, docs/benchmarks.md).
   */
  private subsHeld: Subscription | Map<string, Subscription> | undefined;

  getSub(raw: string): Subscription | undefined {
    const h = this.subsHeld;
    if (h instanceof Map) return h.get(raw);
    return h !== undefined && h.raw === raw ? h : undefined;
  }

  hasSub(raw: string): boolean {
    return this.getSub(raw) !== undefined;
  }

  /** Add or replace the subscription to `sub.raw`. */
  setSub(sub: Subscription): void {
    const h = this.subsHeld;
    if (h instanceof Map) h.set(sub.raw, sub);
    else if (h === undefined || h.raw === sub.raw) this.subsHeld = sub;
    else
      this.subsHeld = new Map([
        [h.raw, h],
        [sub.raw, sub],
      ]);
  }

  deleteSub(raw: string): boolean {
    const h = this.subsHeld;
    if (h instanceof Map) return h.delete(raw);
    if (h === undefined || h.raw !== raw) return false;
    this.subsHeld = undefined;
    return true;
  }

  clearSubs(): void {
    this.subsHeld = undefined;
  }

  get subCount(): number {
    const h = this.subsHeld;
    return h instanceof Map ? h.size : h === undefined ? 0 : 1;
  }

  /** Every subscription, in the order they were added. */
  subscriptions(): Iterable<Subscription> {
    const h = this.subsHeld;
    return h instanceof Map ? h.values() : h === undefined ? [] : [h];
  }

  /** Messages in flight or queued and their bookkeeping; made on first use (idle memory). */
  private fl: Flows | undefined;
  private get flows(): Flows {
    return (this.fl ??= new Flows());
  }
  /**
   * Sent and not yet acknowledged, by packet id. Allocated on first use: an idle session (most of
   * a fleet) never needs it, and each empty Map costs ~200 bytes (docs/benchmarks.md, memory).
   */
  get inflight(): Map<number, Outgoing> {
    return (this.flows.inflight ??= new Map());
  }
  /** Number in flight, without allocating the map. */
  get inflightCount(): number {
    return this.fl?.inflight?.size ?? 0;
  }
  /** Waiting to be sent, oldest first; allocated on first use (an idle session has none). */
  get queue(): MessageQueue {
    return (this.flows.queue ??= new MessageQueue());
  }
  /** Number waiting, without allocating the queue. */
  get queued(): number {
    const q = this.fl?.queue;
    return q === undefined ? 0 : q.length;
  }
  /** Forget every in-flight message and inbound QoS 2 id (the session ends). */
  clearFlights(): void {
    const f = this.fl;
    if (f === undefined) return;
    f.inflight = undefined;
    f.incoming = undefined;
    f.routedAs = undefined;
  }
  /** Inbound QoS 2 packet ids received and not yet released [MQTT-4.3.3-…]; allocated on first use. */
  get incoming(): Set<number> {
    return (this.flows.incoming ??= new Set());
  }
  /**
   * Cluster: inbound QoS 2 ids loaded from the store with the id their message was routed under,
   * by a node that may have died before it finished routing (docs/cluster.md "Exactly once across
   * a node failure"); the client's resend is routed again under that id. Allocated on first use.
   */
  get routedAs(): Map<number, string> {
    return (this.flows.routedAs ??= new Map());
  }
  /** The id inbound QoS 2 packet `packetId` was routed under on another node (taken once). */
  takeRoutedAs(packetId: number): string | undefined {
    const m = this.fl?.routedAs;
    const id = m?.get(packetId);
    if (id !== undefined) m!.delete(packetId);
    return id;
  }
  /**
   * Cluster, a persistent session: the routing (`Route.serial`, 0 = loaded from the store) that
   * queued QoS 2 message `id` for it within DELIVERED_KEEP_MS, if any (docs/cluster.md "Exactly
   * once across a node failure").
   */
  deliveredBy(id: string, now: number): number | undefined {
    const e = this.fl?.delivered?.get(id);
    return e !== undefined && now - e.at <= DELIVERED_KEEP_MS ? e.by : undefined;
  }
  /** Remember that routing `by` queued message `id` at `at` (epoch ms); old entries are dropped. */
  noteDelivered(id: string, at: number, by: number): void {
    const m = (this.flows.delivered ??= new Map());
    m.delete(id);
    m.set(id, { at, by });
    for (const [k, e] of m) {
      if (m.size <= DELIVERED_MAX && at - e.at <= DELIVERED_KEEP_MS) break;
      m.delete(k);
    }
  }
  conn: Connection | undefined;
  /** Seconds; 0 = ends with the connection. */
  expiryInterval = 0;
  /** The protocol version (minus 3) and the STORED / WILL_STORED bits: one field (idle memory). */
  private bits = (4 - 3) << VERSION_SHIFT;
  /** Epoch ms of the last disconnect while offline. */
  get disconnectedAt(): number | null {
    return this.rare?.disconnectedAt ?? null;
  }
  set disconnectedAt(v: number | null) {
    if (v !== null || this.rare !== undefined) (this.rare ??= new RareFields()).disconnectedAt = v;
  }
  get protocolVersion(): 3 | 4 | 5 {
    return ((this.bits >> VERSION_SHIFT) + 3) as 3 | 4 | 5;
  }
  set protocolVersion(v: 3 | 4 | 5) {
    this.bits = (this.bits & ~(3 << VERSION_SHIFT)) | ((v - 3) << VERSION_SHIFT);
  }
  /** The will, if the client left one (most do not: kept with the rare fields). */
  get will(): Will | undefined {
    return this.rare?.will;
  }
  set will(v: Will | undefined) {
    this.setRare('will', v);
  }
  /** A session row exists in persistence. */
  get stored(): boolean {
    return (this.bits & STORED) !== 0;
  }
  set stored(on: boolean) {
    this.bits = on ? this.bits | STORED : this.bits & ~STORED;
  }
  /** A will row exists in persistence (cleared when the will is published or discarded). */
  get willStored(): boolean {
    return (this.bits & WILL_STORED) !== 0;
  }
  set willStored(on: boolean) {
    this.bits = on ? this.bits | WILL_STORED : this.bits & ~WILL_STORED;
  }
  /**
   * Epoch ms of the last sign of progress while messages are outstanding: an acknowledgement, a
   * socket 'drain', or the first message put in flight after an idle period. Flow control holds
   * publishers only for a subscriber that made progress within the stall bound.
   */
  get progressAt(): number {
    return this.fl?.progressAt ?? 0;
  }
  set progressAt(v: number) {
    this.flows.progressAt = v;
  }
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
    this.flows.nextId = max >= 65535 ? 1 : max + 1;
  }

  /** A packet id not in use by any in-flight message [MQTT-2.2.1-3]; 0 when all 65535 are taken. */
  allocatePacketId(): number {
    if (this.inflightCount >= 65535) return 0;
    const f = this.flows;
    const inflight = this.inflight;
    for (;;) {
      const id = f.nextId;
      f.nextId = id === 65535 ? 1 : id + 1;
      if (!inflight.has(id)) return id;
    }
  }
}
