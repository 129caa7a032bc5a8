/** Row ↔ record mapping for the registry store (PostgreSQL returns BIGINT as strings, SQLite numbers). */
import type { Row } from './sql.js';
import type { DeviceLastSeen, DeviceMessageKind } from '../core/index.js';
import type { ConnectivityRow, Credential, Device, DeviceModel, DeviceRecord } from './types.js';

export const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** Column values are strings, numbers or null (JSON lives in TEXT columns). */
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : text(v));
const json = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(text(v)));

export function modelFromRow(r: Row): DeviceModel {
  const spec = json(r.spec) as Partial<DeviceModel>;
  return {
    name: String(r.name),
    description: String(r.description),
    ...(spec.heartbeat ? { heartbeat: spec.heartbeat } : {}),
    ...(spec.acl ? { acl: spec.acl } : {}),
    ...(spec.decoder !== undefined ? { decoder: spec.decoder } : {}),
    ...(spec.decoders !== undefined ? { decoders: spec.decoders } : {}),
    ...(spec.shadow ? { shadow: spec.shadow } : {}),
    ...(spec.outOfServiceCommands ? { outOfServiceCommands: spec.outOfServiceCommands } : {}),
    ...(spec.fields ? { fields: spec.fields } : {}),
    attributes: json(r.attributes) as Record<string, unknown>,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function deviceFromRow(r: Row): DeviceRecord {
  return {
    id: String(r.id),
    model: strOrNull(r.model),
    name: String(r.name),
    tags: json(r.tags) as string[],
    attributes: json(r.attributes) as Record<string, unknown>,
    enabled: num(r.enabled) === 1,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    online: num(r.online) === 1,
    lastSeenAt: num(r.last_seen_at),
  };
}

const MESSAGE_KINDS: readonly DeviceMessageKind[] = ['heartbeat', 'telemetry', 'event', 'other'];

export function lastSeenFromRow(r: Row): DeviceLastSeen {
  const kind = MESSAGE_KINDS.find((k) => k === r.last_message_kind);
  return {
    at: num(r.last_seen_at),
    messageAt: num(r.last_message_at),
    messageKind: kind ?? null,
    heartbeatAt: num(r.last_heartbeat_at),
  };
}

/** The device without its status columns (online, last-seen: presence's). */
export function stripStatus(d: DeviceRecord): Device {
  const { online: _o, lastSeenAt: _l, ...rest } = d;
  return rest;
}

export function credentialFromRow(r: Row): Credential {
  return {
    id: String(r.id),
    deviceId: String(r.device_id),
    kind: r.kind === 'certificate' ? 'certificate' : 'password',
    username: strOrNull(r.username),
    secretHash: strOrNull(r.secret_hash),
    fingerprint: strOrNull(r.fingerprint),
    createdAt: num(r.created_at),
    expiresAt: numOrNull(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

export function connectivityFromRow(r: Row): ConnectivityRow {
  return {
    id: num(r.id),
    deviceId: String(r.device_id),
    event: r.event === 'connect' ? 'connect' : 'disconnect',
    at: num(r.at),
    remoteAddress: String(r.remote_address),
    protocolVersion: numOrNull(r.protocol_version),
    keepalive: numOrNull(r.keepalive),
    reason: strOrNull(r.reason),
    refused: num(r.refused) === 1,
    detail: strOrNull(r.detail),
  };
}
