/**
 * The catalogue of the platform's own per-device MQTT topics (docs/registry.md, "Device topics"):
 * the one place these strings are spelled. Telemetry subscribes through it (and names each
 * message's kind from it, so health never matches a topic again), commands publish and subscribe
 * through it, health publishes the service state, the simulator plays a device on it. The
 * AWS-compatible `$aws/things/…` topics are the shadows' and jobs' own (`shadows/topics.ts`,
 * `jobs/topics.ts`); the topics only the platform may publish are the registry's (`registry/acl.ts`).
 */
import type { DeviceMessageKind } from './devices.js';

export const deviceTopics = {
  telemetry: (deviceId: string): string => `devices/${deviceId}/telemetry`,
  events: (deviceId: string): string => `devices/${deviceId}/events`,
  heartbeat: (deviceId: string): string => `devices/${deviceId}/heartbeat`,
  /** Cloud → device request; the device answers on `…/reply`. */
  command: (deviceId: string, name: string): string => `devices/${deviceId}/commands/${name}`,
  /** What a device subscribes to for its commands. */
  commandFilter: (deviceId: string): string => `devices/${deviceId}/commands/+`,
  commandReply: (deviceId: string, name: string): string => `devices/${deviceId}/commands/${name}/reply`,
  /** Health's retained service state (only the platform publishes under `$fleet/`). */
  serviceState: (deviceId: string): string => `$fleet/devices/${deviceId}/service-state`,
} as const;

/** Every device's command replies (the commands module's subscription). */
export const COMMAND_REPLY_FILTER = 'devices/+/commands/+/reply';

/** What telemetry consumes from every device, and the `device.message` kind each topic carries. */
export const DEVICE_MESSAGE_TOPICS: readonly { filter: string; kind: Exclude<DeviceMessageKind, 'other'> }[] =
  [
    { filter: 'devices/+/telemetry', kind: 'telemetry' },
    { filter: 'devices/+/events', kind: 'event' },
    { filter: 'devices/+/heartbeat', kind: 'heartbeat' },
  ];

/** The device id of a `devices/{id}/…` topic ('' when the topic is not one). */
export function deviceIdOfTopic(topic: string): string {
  if (!topic.startsWith('devices/')) return '';
  const end = topic.indexOf('/', 8);
  return end < 0 ? '' : topic.slice(8, end);
}
