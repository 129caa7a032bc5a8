/**
 * Response shapes of the `/api/v1` routes the console uses, written against the server's OpenAPI
 * document (GET /api/v1/openapi.json). The console never imports server code.
 */
export type Role = 'viewer' | 'operator' | 'admin';
export interface Me {
  id: string;
  name: string;
  role: Role;
}

export interface Page<T> {
  items: T[];
  total?: number;
  nextCursor?: string | null;
}

export interface Device {
  id: string;
  model: string | null;
  name: string;
  tags: string[];
  enabled: boolean;
  attributes?: Record<string, unknown>;
  online?: boolean;
  lastSeen?: number | null;
  createdAt?: number | string;
  updatedAt?: number | string;
}

export interface ConnectivitySession {
  connectedAt?: number | null;
  disconnectedAt?: number | null;
  at?: number;
  event?: string;
  remoteAddress?: string;
  protocolVersion?: number;
  reason?: string | null;
}

export interface FleetConnectivity {
  total: number;
  online: number;
  offline: number;
  flapping?: number;
}

export interface ServiceStateEntry {
  at: number;
  from: string;
  to: string;
  reasons: string[];
  actor?: { kind: string; id: string } | string;
  note?: string | null;
}

export interface ServiceStateView {
  deviceId: string;
  state: string;
  reasons: string[];
  since?: number;
  history?: ServiceStateEntry[];
}

export interface FleetHealth {
  total: number;
  inServiceShare: number;
  byState: Record<string, number>;
  byReason: Record<string, number>;
}

export interface OutOfServiceItem {
  deviceId: string;
  model?: string | null;
  since: number;
  reasons: string[];
}

export interface ShadowDoc {
  state: { desired?: Record<string, unknown> | null; reported?: Record<string, unknown> | null; delta?: Record<string, unknown> };
  metadata?: unknown;
  version: number;
  timestamp?: number;
}

export interface ShadowHistoryEntry {
  version: number;
  at: number;
  actor: { kind: string; id: string };
  update: unknown;
}

export interface DiffEntry {
  path: string;
  op?: string;
  kind?: string;
  from?: unknown;
  to?: unknown;
  before?: unknown;
  after?: unknown;
}

export interface Command {
  id: string;
  deviceId: string;
  name: string;
  status: string;
  requestedAt: number;
  finishedAt?: number | null;
  replyLatencyMs?: number | null;
  confirmLatencyMs?: number | null;
  error?: unknown;
  result?: unknown;
}

export interface TelemetrySeries {
  points?: { t?: number; ts?: number; time?: number; v?: number; value?: number }[];
  [k: string]: unknown;
}

export interface DeviceEvent {
  at?: number;
  ts?: number;
  time?: number;
  code: string;
  severity: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface Slo {
  id: string;
  name: string;
  description?: string;
  target: number;
  [k: string]: unknown;
}

export interface SloStatus {
  sli?: number | null;
  budgetRemaining?: number | null;
  burnRates?: Record<string, number | null>;
  alerts?: { tier?: string; name?: string; state?: string; firing?: boolean; severity?: string }[];
  exhaustionForecast?: number | string | null;
  [k: string]: unknown;
}

export interface AlertItem {
  sloId: string;
  sloName?: string;
  tier: string;
  severity?: string;
  state: string;
  firedAt?: number;
  resolvedAt?: number | null;
  [k: string]: unknown;
}

export interface AuditEntry {
  at: number | string;
  actor: { kind: string; id: string } | string;
  action: string;
  resource: string;
  before?: unknown;
  after?: unknown;
}
