/**
 * A session's FIFO of waiting messages: an array with a moving head, so taking from the front is
 * O(1) (a plain `shift()`/`slice()` per acknowledgement made a long queue quadratic).
 */
import type { Outgoing } from './types.js';

export class MessageQueue {
  private items: (Outgoing | undefined)[] = [];
  private head = 0;
  /** Queued QoS 0 messages (lets a full queue skip the search when there is none). */
  private qos0 = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(o: Outgoing): void {
    if (o.qos === 0) this.qos0++;
    this.items.push(o);
  }

  peek(): Outgoing | undefined {
    return this.items[this.head];
  }

  shift(): Outgoing | undefined {
    if (this.head >= this.items.length) return undefined;
    const o = this.items[this.head];
    this.items[this.head++] = undefined;
    if (o?.qos === 0) this.qos0--;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return o;
  }

  /** Remove the oldest QoS 0 message; false when there is none. */
  dropOldestQos0(): boolean {
    if (this.qos0 === 0) return false;
    // Usual case (a QoS 0 stream): the oldest is at the head, O(1) instead of a splice.
    if (this.items[this.head]!.qos === 0) {
      this.shift();
      return true;
    }
    for (let i = this.head; i < this.items.length; i++) {
      if (this.items[i]!.qos === 0) {
        this.items.splice(i, 1);
        this.qos0--;
        return true;
      }
    }
    return false;
  }

  /** Drop every QoS 0 message (the session went offline). */
  dropQos0(): void {
    if (this.qos0 === 0) return;
    this.items = this.toArray().filter((o) => o.qos > 0);
    this.head = 0;
    this.qos0 = 0;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.qos0 = 0;
  }

  toArray(): Outgoing[] {
    return this.items.slice(this.head) as Outgoing[];
  }
}
