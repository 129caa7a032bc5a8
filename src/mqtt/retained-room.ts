/**
 * Retained messages [MQTT-3.3.1-5…11]: kept per topic (in memory, `RetainedIndex`, and durable
 * except `$SYS/`), replaced or removed by a retained PUBLISH, and sent to new subscriptions.
 */
import type { Clock } from '../core/index.js';
import type { Delivery } from './delivery.js';
import type { StateWriter } from './host.js';
import { RetainedIndex } from './retained.js';
import type { Session } from './session.js';
import type { Message, Subscription } from './types.js';

export class RetainedRoom {
  readonly index = new RetainedIndex();

  constructor(
    private readonly clock: Clock,
    private readonly state: StateWriter,
    private readonly delivery: Delivery,
  ) {}

  get size(): number {
    return this.index.size;
  }

  /** A retained PUBLISH: keep it as the topic's retained message, or remove that (empty payload). */
  store(msg: Message): void {
    const durable = !msg.topic.startsWith('$SYS/');
    if (msg.payload.length === 0) {
      // [MQTT-3.3.1-10/11] an empty retained message removes the retained message for the topic.
      if (this.index.delete(msg.topic) && durable)
        this.state.persist({ op: 'retained.delete', topic: msg.topic });
      return;
    }
    this.index.set(msg.topic, msg);
    if (durable)
      this.state.persist({
        op: 'retained.put',
        msg: {
          topic: msg.topic,
          payload: msg.payload,
          qos: msg.qos,
          properties: msg.properties,
          expiresAt: msg.expiresAt,
        },
      });
  }

  /** A retained PUBLISH stored durably by another node (cluster): the in-memory index only. */
  keep(msg: Message): void {
    if (msg.payload.length === 0) this.index.delete(msg.topic);
    else this.index.set(msg.topic, msg);
  }

  /** Retained messages for a new subscription, sent with RETAIN set [MQTT-3.3.1-8]. */
  sendTo(s: Session, sub: Subscription): void {
    const now = this.clock.now();
    for (const m of this.index.match(sub.filter)) {
      if (m.expiresAt !== undefined && m.expiresAt <= now) {
        this.index.delete(m.topic);
        continue;
      }
      this.delivery.deliver(
        s,
        m,
        sub.qos < m.qos ? sub.qos : m.qos,
        true,
        sub.subId === undefined ? undefined : [sub.subId],
        undefined,
      );
    }
  }
}
