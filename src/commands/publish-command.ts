/**
 * How a command goes out to a device: `devices/{id}/commands/{name}`, QoS 1, with MQTT 5 response
 * topic and correlation data (and the trace context as a user property when tracing is on).
 */
import { deviceTopics } from '../core/index.js';
import type { BrokerApi, PublishResult } from '../mqtt/index.js';
import { publishTraced } from './trace.js';
import type { CommandMessage, CommandRecord } from './types.js';
import type { Span } from '../core/index.js';

export function commandTopic(deviceId: string, name: string): string {
  return deviceTopics.command(deviceId, name);
}

/**
 * Why the broker did not hand the command to its device (its copy was dropped: the session's queue
 * was full, or the message is bigger than the device's Maximum Packet Size), else undefined.
 */
export function droppedForDevice(rec: CommandRecord, r: PublishResult): string | undefined {
  return r.drops.find((d) => d.clientId === rec.deviceId)?.reason;
}

/** `span`: the command's span, the publish span's parent (tracing). */
export function publishCommand(broker: BrokerApi, rec: CommandRecord, span?: Span): Promise<PublishResult> {
  const topic = commandTopic(rec.deviceId, rec.name);
  const message: CommandMessage = {
    id: rec.id,
    name: rec.name,
    params: rec.params,
    requestedAt: rec.requestedAt,
  };
  // Connected on another node: the properties go along (a 3.1.1 connection drops them).
  const v5 = (broker.clientInfo(rec.deviceId)?.protocolVersion ?? 5) === 5;
  return publishTraced(rec, topic, span, (userProperties) =>
    broker.publish({
      topic,
      payload: JSON.stringify(message),
      qos: 1,
      ...(v5
        ? {
            properties: {
              responseTopic: `${topic}/reply`,
              correlationData: Buffer.from(rec.id),
              ...(userProperties ? { userProperties } : {}),
            },
          }
        : {}),
    }),
  );
}
