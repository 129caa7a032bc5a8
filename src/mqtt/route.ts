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

export interface RouteResult {
  /** Sessions that got a copy (sent, in flight or queued); drops are not counted. */
  readonly delivered: number;
  /** Resolves once every full subscriber queue this message met has room again. */
  readonly flowWait: Promise<void> | undefined;
  /** Resolves when the publisher may be acknowledged; undefined = now. */
  readonly wait: Promise<void> | undefined;
}

export class Route implements RouteResult {
  delivered = 0;
  flowWait: Promise<void> | undefined = undefined;
  wait: Promise<void> | undefined = undefined;
  /** Room promises of full queues met while routing (deduplicated). */
  flowWaits: Promise<void>[] | undefined = undefined;
  /** Encoded QoS 0 PUBLISH by slot: (MQTT 5 ? 2 : 0) + (retain ? 1 : 0). */
  enc0: Buffer | undefined = undefined;
  enc1: Buffer | undefined = undefined;
  enc2: Buffer | undefined = undefined;
  enc3: Buffer | undefined = undefined;

  constructor(readonly msg: Message) {}

  encoded(slot: number): Buffer | undefined {
    return slot === 0 ? this.enc0 : slot === 1 ? this.enc1 : slot === 2 ? this.enc2 : this.enc3;
  }

  keepEncoded(slot: number, buf: Buffer): void {
    if (slot === 0) this.enc0 = buf;
    else if (slot === 1) this.enc1 = buf;
    else if (slot === 2) this.enc2 = buf;
    else this.enc3 = buf;
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
