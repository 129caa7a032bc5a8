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

export interface DeviceModelInfo {
  name: string;
  heartbeat?: HeartbeatPolicy;
  /** Telemetry decoder id attached to the model. */
  decoder?: string;
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
