/** Packet encoding for outgoing messages (mqtt-packet `generate`, which throws on invalid input). */
import { generate, writeToStream, type IPublishPacket, type Packet } from 'mqtt-packet';
import type { PublishProperties } from './api.js';
import type { Message } from './types.js';

// mqtt-packet otherwise builds, on first use, a cache of 65,536 two-byte Buffers (about 6.5 MB of
// heap) to save a 2-byte allocation per number written; our encoder allocates the packet anyway.
(writeToStream as unknown as { cacheNumbers: boolean }).cacheNumbers = false;

export function encode(packet: Packet, version: 3 | 4 | 5): Buffer | undefined {
  try {
    return generate(packet, { protocolVersion: version });
  } catch {
    return undefined;
  }
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
