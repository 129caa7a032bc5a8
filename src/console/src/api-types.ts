/**
 * Named types for the `/api/v1` shapes the console uses, derived from the generated `Paths`
 * (api-schema.ts, from GET /api/v1/openapi.json by scripts/gen-api-types.mjs). The console never
 * imports server code.
 *
 * A few routes declare only `{ type: 'object', additionalProperties: true }` in their response schema
 * (SLO definitions, alert records, shadow documents, the SLO status window). Their shapes below are
 * written from docs/slo.md and docs/shadows.md and marked "not in the OpenAPI document".
 */
import type { Paths } from './api-schema';

/** Success response of `method path`. */
export type Res<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends { response: infer R }
  ? R
  : never;
/** Request body of `method path`. */
export type Body<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends { body: infer B }
  ? B
  : never;
/** Query parameters of `method path`. */
export type QueryOf<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends { query: infer Q }
  ? Q
  : never;
type Item<T> = T extends { items?: (infer I)[] } ? I : T extends (infer I)[] ? I : never;

/** Who is signed in (GET /auth/session, POST /auth/login). */
export type Session = Res<'/auth/session', 'get'>;
export type Me = Session['principal'];
export type SignInOptions = Res<'/auth/options', 'get'>;
export type Role = 'viewer' | 'operator' | 'admin';

export type DevicePage = Res<'/devices', 'get'>;
/** One device (`GET /devices/{id}`); a row of the list adds its service state. */
export type Device = Res<'/devices/:id', 'get'>;
export type DeviceRow = Item<DevicePage>;
export type DeviceQuery = QueryOf<'/devices', 'get'>;
export type DeviceModel = Item<Res<'/device-models', 'get'>>;
export type ConnectivityEvent = Item<Res<'/devices/:id/sessions', 'get'>>;
export type FleetConnectivity = Res<'/fleet/connectivity', 'get'>;

export type FleetHealth = Res<'/fleet/health', 'get'>;
export type OutOfServicePage = Res<'/fleet/out-of-service', 'get'>;
export type OutOfServiceItem = Item<OutOfServicePage>;
export type ServiceStateView = Res<'/devices/:id/service-state', 'get'>;
export type ServiceStateEntry = NonNullable<ServiceStateView['history']>[number];
export type ServiceState = NonNullable<ServiceStateView['state']>;
export const SERVICE_STATES: readonly ServiceState[] = [
  'in_service',
  'out_of_service',
  'maintenance',
  'retired',
];

export type ShadowHistoryEntry = Item<Res<'/devices/:id/shadow/history', 'get'>>;
export type ShadowDiff = Res<'/devices/:id/shadow/diff', 'get'>;
export type DiffChange = NonNullable<ShadowDiff['changes']>[number];
/** GET /devices/{id}/shadow (not in the OpenAPI document: the route declares a free object). */
export interface ShadowDoc {
  state?: {
    desired?: Record<string, unknown>;
    reported?: Record<string, unknown>;
    delta?: Record<string, unknown>;
  };
  metadata?: unknown;
  version?: number;
  timestamp?: number;
}

export type Command = Res<'/commands/:id', 'get'>;
export type CommandRequest = Body<'/devices/:id/commands', 'post'>;
export type CommandStatus = NonNullable<Command['status']>;

export type TelemetrySeries = Res<'/devices/:id/telemetry', 'get'>;
export type TelemetryQuery = QueryOf<'/devices/:id/telemetry', 'get'>;
export type LatestValue = Item<Res<'/devices/:id/latest', 'get'>>;
export type DeviceEvent = Item<Res<'/devices/:id/events', 'get'>>;
export type EventQuery = QueryOf<'/devices/:id/events', 'get'>;

export type SloStatus = Res<'/slos/:name/status', 'get'>;
export type SloHistory = Res<'/slos/:name/history', 'get'>;
export type SloImportResult = Res<'/slos/import', 'post'>;

/**
 * An SLO definition as served by GET /slos and accepted by POST/PUT: Tsunagu's input shape, with
 * durations as strings (`30d`, `1h`) (not in the OpenAPI document; docs/slo.md).
 */
export interface SloDefinition {
  name: string;
  displayName?: string;
  description?: string;
  service?: string;
  sli: { type: SliType; selector?: { model?: string; tag?: string; device?: string }; [k: string]: unknown };
  target: number;
  window: { rolling: string } | { calendar: 'week' | 'month' | 'quarter'; timeZone?: string };
  budgeting: { method: 'occurrences' } | { method: 'timeslices'; sliceTarget: number };
  alerting: { minEvents: number; tiers: AlertTier[] };
}
export type SliType =
  | 'heartbeat'
  | 'command-success'
  | 'command-latency'
  | 'availability'
  | 'hardware-health'
  | 'decode-health'
  | 'ratio';
export interface AlertTier {
  name: string;
  severity: 'page' | 'ticket';
  longWindow: string;
  shortWindow: string;
  budgetShare?: number;
  burnRate?: number;
}
/** GET /alerts items (not in the OpenAPI document; docs/slo.md). */
export interface AlertRecord {
  id: number;
  sloId: string;
  sloName: string;
  tier: string;
  severity: 'page' | 'ticket';
  firedAt: number;
  resolvedAt: number | null;
  burnRate: number;
  threshold: number;
}

export type NotificationChannel = Item<Res<'/notification-channels', 'get'>>;
export type NotificationRoute = Item<Res<'/notification-routes', 'get'>>;
export type Notification = Item<Res<'/notifications', 'get'>>;
export type AuditEntry = Item<Res<'/audit', 'get'>>;
export type AuditPage = Res<'/audit', 'get'>;
