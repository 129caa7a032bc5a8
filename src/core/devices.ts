/**
 * The registry's read side, as other modules see it (injected, so telemetry, health, shadows,
 * commands and SLOs never read the registry's tables). Implementations cache; calls are cheap.
 */
export interface DeviceInfo {
  id: string;
  model: string | null;
  name: string;
  tags: string[];
  enabled: boolean;
  attributes: Record<string, unknown>;
}

/** Which messages count as a sign of life for heartbeat deadlines. */
export type SignOfLife = 'heartbeat' | 'any_message' | 'connection';

export interface HeartbeatPolicy {
  intervalMs: number;
  graceMs: number;
  signOfLife: SignOfLife;
}

/** How a message reached the platform (telemetry decoder routing, docs/telemetry.md). */
export type MessageTransport = 'mqtt' | 'telegram' | 'http';

/** One entry of a model's `decoders`: the decoder for the messages `match` selects (every given key must match). */
export interface DecoderRoute {
  match: {
    /** `telegram`: raw TCP telegrams and telegram lines posted as text/plain; `http`: JSON posted over HTTP. */
    transport?: MessageTransport;
    /** MQTT topic filter (`+`, `#`); implies transport `mqtt`. */
    topic?: string;
  };
  decoder: string;
}

/** What the platform does with a command to a device that is out of service (docs/commands.md). */
export type OutOfServiceCommands = 'allow' | 'warn' | 'refuse';
export const OUT_OF_SERVICE_COMMANDS: readonly OutOfServiceCommands[] = ['allow', 'warn', 'refuse'];

/** One telemetry key as a model describes it: the unit and label the console shows. */
export interface ModelField {
  key: string;
  unit?: string;
  label?: string;
}

export interface DeviceModelInfo {
  name: string;
  /** Commands to out-of-service devices of this model; unset: the platform's setting. */
  outOfServiceCommands?: OutOfServiceCommands;
  /** Telemetry keys with units (display only). */
  fields?: ModelField[];
  heartbeat?: HeartbeatPolicy;
  /** Telemetry decoder id attached to the model: used for messages no `decoders` entry matches. */
  decoder?: string;
  /** Decoders per transport/topic; the first matching entry wins. */
  decoders?: DecoderRoute[];
  /** Shadow options for devices of this model. */
  shadow?: { clearDesiredOnReport?: boolean; maxDocumentBytes?: number };
  attributes: Record<string, unknown>;
}

export interface DeviceDirectory {
  getDevice(id: string): Promise<DeviceInfo | undefined>;
  getModel(name: string): Promise<DeviceModelInfo | undefined>;
  /** Every registered device id, optionally filtered (paged internally). */
  listDevices(filter?: { model?: string; tag?: string }): AsyncIterable<DeviceInfo>;
}

/** What kind of message a device sent (`device.message`'s `kind`). */
export type DeviceMessageKind = 'heartbeat' | 'telemetry' | 'event' | 'other';

/**
 * When a device was last seen, as presence (the registry) owns it: one record per device, stored
 * once (`registry_devices`), read by health, telemetry and the API views through the registry's
 * `lastSeen` reader (docs/architecture.md, "One owner per fact"). Times are ms; 0 means never.
 */
export interface DeviceLastSeen {
  /** Latest connect, disconnect or consumed message. */
  at: number;
  /** Latest consumed message (any kind) and its kind (null when no message was seen). */
  messageAt: number;
  messageKind: DeviceMessageKind | null;
  /** Latest heartbeat message. */
  heartbeatAt: number;
}

/** Presence's last-seen reader: this node's memory merged with the stored row (every node's batches). */
export interface LastSeenReader {
  get(deviceId: string): Promise<DeviceLastSeen | undefined>;
  /** Every device ever seen (health's start-up and shard reloads). */
  all(): Promise<Map<string, DeviceLastSeen>>;
}
