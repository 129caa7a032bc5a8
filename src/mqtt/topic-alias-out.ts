/**
 * Server-to-client topic aliases (MQTT 5 §3.3.2.3.4). A client that sends Topic Alias Maximum > 0
 * in CONNECT lets the server replace a topic it already sent by a number. The first
 * `topicAliasMaximum` distinct topics delivered on a connection get aliases 1..max: the first
 * PUBLISH carries the topic and the alias, later ones an empty topic and the alias. Topics past
 * the maximum go out with their name (no replacement: a client's mapping is never changed under
 * a message it may still be processing). The mapping lives and dies with the network connection
 * [MQTT-3.3.2-7]; a QoS 1/2 message resent after a reconnect is aliased afresh.
 */
import { encode, publishPacket } from './encode.js';
import type { Message } from './types.js';

/** Outbound alias state of one MQTT 5 connection; absent when the client allows none. */
export class OutboundAliases {
  private readonly byTopic = new Map<string, number>();

  constructor(readonly max: number) {}

  /** [alias, whether the topic must still be sent with it]; undefined when the table is full. */
  aliasFor(topic: string): [number, boolean] | undefined {
    const known = this.byTopic.get(topic);
    if (known !== undefined) return [known, false];
    if (this.byTopic.size >= this.max) return undefined;
    // [MQTT-3.3.2-9] never above the client's Topic Alias Maximum; 0 is not a valid alias.
    const alias = this.byTopic.size + 1;
    this.byTopic.set(topic, alias);
    return [alias, true];
  }
}

/** The client's Topic Alias Maximum from CONNECT, capped by ours (memory per connection). */
export function outboundAliases(clientMax: number | undefined, cap: number): OutboundAliases | undefined {
  const max = Math.min(clientMax ?? 0, cap);
  return max > 0 ? new OutboundAliases(max) : undefined;
}

/** Encode one delivery for a connection that accepts topic aliases. */
export function encodeAliased(
  aliases: OutboundAliases,
  msg: Message,
  qos: 0 | 1 | 2,
  retain: boolean,
  dup: boolean,
  packetId: number,
  subIds: number[] | undefined,
  now: number,
): Buffer | undefined {
  const p = publishPacket(msg, qos, retain, dup, packetId, 5, subIds, now);
  const a = aliases.aliasFor(msg.topic);
  if (a) {
    p.properties = { ...p.properties, topicAlias: a[0] };
    if (!a[1]) p.topic = '';
  }
  return encode(p, 5);
}
