/**
 * What one `route()` call did, returned to its caller instead of left in broker fields: how many
 * sessions got a copy, the flow-control wait (a subscriber's queue is full and it is still
 * draining: the publisher is not read until there is room) and the wait before the publisher's
 * acknowledgement (durable writes, server-side handler promises, flow control).
 *
 * While routing it also carries the per-message state the deliveries share: the encode-once
 * cache (the same PUBLISH bytes go to every QoS 0 subscriber with the same protocol family and
 * retain flag) and the flow waits met so far.
 */
import type { Message } from './types.js';

/**
 * Why a copy of a message was not delivered to a subscriber: its queue was full (offline, or
 * connected and stalled: MQTT 5 `0x97 Quota exceeded`), or the packet is bigger than the client's
 * Maximum Packet Size. Platform publishes are not ACL-checked (`BrokerApi.publish`), so "not
 * authorized" never drops one.
 */
export type DropReason = 'queue_full' | 'too_large';

/** One dropped copy: which session, and why. */
export interface Drop {
  clientId: string;
  reason: DropReason;
  /** The node that dropped it (cluster: a node that received the message forwarded); undefined = here. */
  node?: string;
}

/** At most this many drops are listed per message (the count goes on). */
export const MAX_LISTED_DROPS = 32;

export interface RouteResult {
  /** Sessions that got a copy (sent, in flight or queued); drops are not counted. */
  readonly delivered: number;
  /**
   * Sessions for which a QoS 1/2 copy was dropped because their queue was full (offline, or
   * connected and stalled): an MQTT 5 publisher is then answered 0x97 Quota exceeded instead of
   * success, so nothing it sees acknowledged is lost.
   */
  readonly dropped: number;
  /**
   * Every copy not delivered (QoS 0 included), with the session and the reason; undefined when
   * none (no allocation on the common path). Listed up to MAX_LISTED_DROPS; counted in `dropCount`.
   * Cluster: for QoS 1/2, drops on the nodes the message was forwarded to are added once they answer
   * (read it after `wait`).
   */
  readonly drops: Drop[] | undefined;
  readonly dropCount: number;
  /** Other nodes the message was forwarded to (cluster). */
  readonly forwarded: number;
  /** Resolves once every full subscriber queue this message met has room again. */
  readonly flowWait: Promise<void> | undefined;
  /** Resolves when the publisher may be acknowledged; undefined = now. */
  readonly wait: Promise<void> | undefined;
}

let serials = 0;

export class Route implements RouteResult {
  /** This routing's number (> 0): a session's record of delivered ids tells its own copies from a resend's. */
  readonly serial = ++serials;
  delivered = 0;
  dropped = 0;
  drops: Drop[] | undefined = undefined;
  dropCount = 0;
  forwarded = 0;
  flowWait: Promise<void> | undefined = undefined;
  wait: Promise<void> | undefined = undefined;
  /** Room promises of full queues met while routing (deduplicated). */
  flowWaits: Promise<void>[] | undefined = undefined;
  /**
   * The encoded QoS 0 PUBLISH for one slot, (MQTT 5 ? 2 : 0) + (retain ? 1 : 0): the first slot
   * met is kept (subscribers of one protocol family are the usual case); others encode anew.
   */
  private enc: Buffer | undefined = undefined;
  private encSlot = -1;

  constructor(readonly msg: Message) {}

  encoded(slot: number): Buffer | undefined {
    return slot === this.encSlot ? this.enc : undefined;
  }

  keepEncoded(slot: number, buf: Buffer): void {
    if (this.encSlot !== -1) return;
    this.encSlot = slot;
    this.enc = buf;
  }

  /** A copy was not delivered to `clientId`; `qosDrop`: a QoS 1/2 copy (the publisher's 0x97). */
  drop(clientId: string, reason: DropReason, qosDrop: boolean, node?: string): void {
    if (qosDrop) this.dropped++;
    // Too large is found when sending, after the copy was counted delivered here.
    if (reason === 'too_large' && node === undefined) this.delivered--;
    this.dropCount++;
    const list = (this.drops ??= []);
    if (list.length < MAX_LISTED_DROPS)
      list.push(node === undefined ? { clientId, reason } : { clientId, reason, node });
  }

  /** A subscriber's queue is full: the publisher of this message waits for `room`. */
  holdFor(room: Promise<void>): void {
    const fw = (this.flowWaits ??= []);
    if (!fw.includes(room)) fw.push(room);
  }

  /** Add a wait before the publisher's acknowledgement. */
  waitFor(p: Promise<void>): void {
    this.wait = this.wait === undefined ? p : Promise.all([this.wait, p]).then(() => undefined);
  }

  /** Once the deliveries are done: the flow waits become `flowWait` (and part of `wait`). */
  settleFlow(): void {
    const fw = this.flowWaits;
    if (!fw) return;
    this.flowWait = fw.length === 1 ? fw[0]! : Promise.all(fw).then(() => undefined);
    this.waitFor(this.flowWait);
  }
}
