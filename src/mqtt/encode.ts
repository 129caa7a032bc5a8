/** Packet encoding for outgoing messages (mqtt-packet `generate`, which throws on invalid input). */
import { generate, writeToStream, type IPublishPacket, type Packet } from 'mqtt-packet';
import type { PublishProperties } from './api.js';
import type { Message } from './types.js';

// mqtt-packet otherwise builds, on first use, a cache of 65,536 two-byte Buffers (about 6.5 MB of
// heap) to save a 2-byte allocation per number written; our encoder allocates the packet anyway.
(writeToStream as unknown as { cacheNumbers: boolean }).cacheNumbers = false;

export function encode(packet: Packet, version: 3 | 4 | 5): Buffer | undefined {
  if (packet.cmd === 'publish' && (version !== 5 || !packet.properties)) {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    return encodePublishFast(
      packet.topic,
      payload,
      packet.qos,
      packet.retain,
      packet.dup,
      packet.messageId ?? 0,
      version === 5,
    );
  }
  if (
    (packet.cmd === 'puback' ||
      packet.cmd === 'pubrec' ||
      packet.cmd === 'pubrel' ||
      packet.cmd === 'pubcomp') &&
    !packet.properties &&
    (packet.reasonCode === undefined || packet.reasonCode === 0)
  )
    return encodeAck(packet.cmd, packet.messageId!);
  try {
    return generate(packet, { protocolVersion: version });
  } catch {
    return undefined;
  }
}

/**
 * Hand-written PUBLISH encoder for the hot path: no properties (3.1.1, or MQTT 5 with an empty
 * property block). Produces the same bytes as mqtt-packet's `generate` (checked in codec.test.ts)
 * with one allocation instead of a dozen.
 */
export function encodePublishFast(
  topic: string,
  payload: Buffer,
  qos: 0 | 1 | 2,
  retain: boolean,
  dup: boolean,
  packetId: number,
  v5: boolean,
): Buffer {
  const topicLen = Buffer.byteLength(topic);
  const remaining = 2 + topicLen + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payload.length;
  const lenBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
  const buf = Buffer.allocUnsafe(1 + lenBytes + remaining);
  buf[0] = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  let pos = 1;
  let n = remaining;
  do {
    let digit = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) digit |= 0x80;
    buf[pos++] = digit;
  } while (n > 0);
  buf[pos++] = topicLen >> 8;
  buf[pos++] = topicLen & 0xff;
  pos += buf.write(topic, pos, 'utf8');
  if (qos > 0) {
    buf[pos++] = packetId >> 8;
    buf[pos++] = packetId & 0xff;
  }
  if (v5) buf[pos++] = 0; // property length 0
  payload.copy(buf, pos);
  return buf;
}

/** PUBACK/PUBREC/PUBREL/PUBCOMP with success and no properties: 4 bytes in every version. */
export function encodeAck(cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', packetId: number): Buffer {
  const type = cmd === 'puback' ? 0x40 : cmd === 'pubrec' ? 0x50 : cmd === 'pubrel' ? 0x62 : 0x70;
  return Buffer.from([type, 2, packetId >> 8, packetId & 0xff]);
}

/**
 * The PUBLISH packet for one delivery. MQTT 5 gets the application properties, the remaining
 * message expiry [MQTT-3.3.2-6] and the subscription identifiers [MQTT-3.3.4-3].
 */
export function publishPacket(
  msg: Message,
  qos: 0 | 1 | 2,
  retain: boolean,
  dup: boolean,
  packetId: number,
  version: 3 | 4 | 5,
  subIds: number[] | undefined,
  now: number,
): IPublishPacket {
  const p: IPublishPacket = { cmd: 'publish', topic: msg.topic, payload: msg.payload, qos, retain, dup };
  if (qos > 0) p.messageId = packetId;
  if (version === 5) {
    let props: IPublishPacket['properties'] = msg.properties;
    if (msg.expiresAt !== undefined || subIds !== undefined) {
      props = { ...props };
      if (msg.expiresAt !== undefined)
        props.messageExpiryInterval = Math.max(0, Math.ceil((msg.expiresAt - now) / 1000));
      if (subIds !== undefined) props.subscriptionIdentifier = subIds.length === 1 ? subIds[0]! : subIds;
    }
    if (props) p.properties = props;
  }
  return p;
}

/** Application properties of an incoming PUBLISH or will, without transport-only ones. */
export function appProperties(
  props: (PublishProperties & { topicAlias?: number; subscriptionIdentifier?: unknown }) | undefined,
): PublishProperties | undefined {
  if (!props) return undefined;
  const out: PublishProperties = {};
  let any = false;
  if (props.payloadFormatIndicator !== undefined) {
    out.payloadFormatIndicator = props.payloadFormatIndicator;
    any = true;
  }
  if (props.contentType !== undefined) {
    out.contentType = props.contentType;
    any = true;
  }
  if (props.responseTopic !== undefined) {
    out.responseTopic = props.responseTopic;
    any = true;
  }
  if (props.correlationData !== undefined) {
    out.correlationData = props.correlationData;
    any = true;
  }
  if (props.userProperties !== undefined) {
    out.userProperties = props.userProperties;
    any = true;
  }
  return any ? out : undefined;
}
