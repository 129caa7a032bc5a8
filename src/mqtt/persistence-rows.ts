/** Row mapping shared by the SQLite and PostgreSQL stores: properties as JSON, stored wills. */
import type { ClientInfo, PublishProperties, QoS } from './api.js';
import type { StoredWill } from './persistence.js';

/** Properties as JSON (correlation data as base64). */
export function encodeProps(p: PublishProperties | undefined): string | null {
  if (!p) return null;
  return JSON.stringify({
    ...p,
    ...(p.correlationData ? { correlationData: p.correlationData.toString('base64') } : {}),
  });
}

export function decodeProps(s: string | null): PublishProperties | undefined {
  if (s === null) return undefined;
  const p = JSON.parse(s) as PublishProperties & { correlationData?: string | Buffer };
  if (typeof p.correlationData === 'string') p.correlationData = Buffer.from(p.correlationData, 'base64');
  return p;
}

/** Column arrays for a multi-row insert, in `mqtt_wills` column order. */
export function willColumns(w: readonly StoredWill[]): unknown[][] {
  return [
    w.map((x) => x.clientId),
    w.map((x) => x.topic),
    w.map((x) => x.payload),
    w.map((x) => x.qos),
    w.map((x) => (x.retain ? 1 : 0)),
    w.map((x) => encodeProps(x.properties)),
    w.map((x) => x.delay),
    w.map((x) => x.expiryInterval ?? null),
    w.map((x) => x.disconnectedAt),
    w.map((x) => (x.info ? JSON.stringify(x.info) : null)),
  ];
}

/** One row's values, in `mqtt_wills` column order. */
export function willRow(x: StoredWill): unknown[] {
  return willColumns([x]).map((c) => c[0]);
}

const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export function rowToWill(r: Record<string, unknown>): StoredWill {
  return {
    clientId: String(r.client_id),
    topic: String(r.topic),
    payload: r.payload as Buffer,
    qos: Number(r.qos) as QoS,
    retain: Number(r.retain) === 1,
    properties: decodeProps(r.properties as string | null),
    delay: Number(r.delay),
    expiryInterval: optNum(r.expiry_interval),
    disconnectedAt: r.disconnected_at === null ? null : Number(r.disconnected_at),
    info: r.client_info === null ? undefined : (JSON.parse(r.client_info as string) as ClientInfo),
  };
}
