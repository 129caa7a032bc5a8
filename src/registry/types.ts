/**
 * The registry's records: device models (profiles), devices, credentials, connectivity rows,
 * and audit entries (API tokens live in auth/). Timestamps are epoch milliseconds from `ctx.clock`.
 */
import type {
  DecoderRoute,
  DeviceLastSeen,
  HeartbeatPolicy,
  ModelField,
  OutOfServiceCommands,
} from '../core/index.js';

/**
 * A model's topic ACL template. Each list, when present, replaces the default for that action
 * (`devices/${deviceId}/#`, `$aws/things/${deviceId}/#`); see docs/registry.md for the variables.
 */
export interface AclTemplate {
  publish?: string[];
  subscribe?: string[];
}

export interface ShadowOptions {
  clearDesiredOnReport?: boolean;
  maxDocumentBytes?: number;
}

export interface DeviceModel {
  name: string;
  description: string;
  heartbeat?: HeartbeatPolicy;
  acl?: AclTemplate;
  decoder?: string;
  /** Telemetry decoders per transport/topic (first match wins, else `decoder`). */
  decoders?: DecoderRoute[];
  shadow?: ShadowOptions;
  /** Commands to out-of-service devices: allow, warn (accepted with a warning) or refuse; unset: the platform's. */
  outOfServiceCommands?: OutOfServiceCommands;
  /** Telemetry keys with unit and label, for display. */
  fields?: ModelField[];
  attributes: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface Device {
  /** The MQTT client id. */
  id: string;
  model: string | null;
  name: string;
  tags: string[];
  attributes: Record<string, unknown>;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Connectivity state kept beside each device (written by the batched connectivity writer). */
export interface DeviceStatus {
  online: boolean;
  /** Last connect, disconnect or message; 0 when never seen. */
  lastSeenAt: number;
}

export type DeviceRecord = Device & DeviceStatus;

export type CredentialKind = 'password' | 'certificate';

export interface Credential {
  id: string;
  deviceId: string;
  kind: CredentialKind;
  /** Password credentials: the MQTT user name (the device id unless given). */
  username: string | null;
  /** Password credentials: `scrypt$N$r$p$salt$hash` (never returned by the API). */
  secretHash: string | null;
  /** Certificate credentials: SHA-256 of the DER certificate, lowercase hex without colons. */
  fingerprint: string | null;
  createdAt: number;
  /** Set when a rotation replaced this secret: valid until then (the overlap). */
  expiresAt: number | null;
  revokedAt: number | null;
}

export type ConnectivityEvent = 'connect' | 'disconnect';

export interface ConnectivityRow {
  id?: number;
  deviceId: string;
  event: ConnectivityEvent;
  at: number;
  remoteAddress: string;
  protocolVersion: number | null;
  keepalive: number | null;
  reason: string | null;
  refused: boolean;
  detail: string | null;
}

/** A device's status columns as the batch writer writes them: online, and presence's last-seen record. */
export interface StatusUpdate {
  deviceId: string;
  online: boolean;
  lastSeen: DeviceLastSeen;
}

export type DeviceSort = 'id' | 'name' | 'createdAt' | 'updatedAt' | 'lastSeenAt';

export interface DeviceQuery {
  model?: string;
  tag?: string;
  online?: boolean;
  /** Case-insensitive substring of id or name. */
  q?: string;
  sort: DeviceSort;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}
