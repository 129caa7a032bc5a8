/**
 * What the slo module keeps durably: definitions, per-minute counters keyed by (SLO, minute),
 * alert episodes (an open episode is a firing alert: that is the persisted alert state), the
 * budget-exhausted flag, and the last known service state per device (for fleet availability).
 * Two adapters (sqlite-slo-store.ts, pg-slo-store.ts) pass one contract suite.
 */
import type { ServiceState } from '../core/index.js';
import type { SloDefinition } from './types.js';

export interface CounterRow {
  sloId: string;
  /** minutes since the epoch */
  minute: number;
  good: number;
  total: number;
}

export interface AlertRecord {
  id: number;
  sloId: string;
  sloName: string;
  tier: string;
  severity: 'page' | 'ticket';
  firedAt: number;
  /** null while firing */
  resolvedAt: number | null;
  /** burn rate (long window) when it fired */
  burnRate: number;
  threshold: number;
}

export interface AlertQuery {
  state?: 'firing' | 'resolved';
  sloId?: string;
  /** return alerts with id < before (paging, newest first) */
  before?: number;
  limit: number;
}

/** An OpenSLO document kept verbatim; an SLO's carries the canonical JSON of the definition it became. */
export interface OpenSloObjectRow {
  kind: string;
  name: string;
  document: Record<string, unknown>;
  definition?: string;
}

export interface SloStore {
  listSlos(): Promise<SloDefinition[]>;
  getSlo(id: string): Promise<SloDefinition | undefined>;
  /** Insert or replace; returns whether it existed before. */
  putSlo(def: SloDefinition, at: number): Promise<boolean>;
  /** Deletes the definition with its counters, alerts, flags and OpenSLO source; false when unknown. */
  deleteSlo(id: string): Promise<boolean>;

  /** Insert or replace OpenSLO documents by (kind, name), in one transaction. */
  putOpenSloObjects(rows: readonly OpenSloObjectRow[], at: number): Promise<void>;
  /** Every stored OpenSLO document, in the order first imported. */
  listOpenSloObjects(): Promise<OpenSloObjectRow[]>;

  /** Additive upsert of a batch in one transaction: good += row.good, total += row.total. */
  addCounters(rows: readonly CounterRow[]): Promise<void>;
  /** Counters of one SLO for minutes in [from, to), ascending. */
  readCounters(sloId: string, from: number, to: number): Promise<CounterRow[]>;
  /** Delete counters older than `beforeMinute` (retention). Returns rows deleted. */
  pruneCounters(sloId: string, beforeMinute: number): Promise<number>;

  openAlert(a: Omit<AlertRecord, 'id' | 'resolvedAt'>): Promise<AlertRecord>;
  /**
   * Open an episode only if none is open for (sloId, tier) — a unique index decides, so two nodes
   * racing across an ownership hand-over cannot both open one. undefined: one was open already.
   */
  openAlertIfNone(a: Omit<AlertRecord, 'id' | 'resolvedAt'>): Promise<AlertRecord | undefined>;
  /** Resolve an open episode; false when it was resolved already (by another node). */
  resolveAlert(id: number, at: number): Promise<boolean>;
  /** Newest first. */
  listAlerts(q: AlertQuery): Promise<AlertRecord[]>;

  getBudgetExhausted(): Promise<Map<string, boolean>>;
  /** Set the flag; true when the stored value changed (or the row is new). */
  setBudgetExhausted(sloId: string, exhausted: boolean, at: number): Promise<boolean>;

  getDeviceStates(): Promise<Map<string, ServiceState>>;
  setDeviceState(deviceId: string, state: ServiceState, at: number): Promise<void>;
  deleteDeviceState(deviceId: string): Promise<void>;
}

// ---- row mapping, shared by both adapters ----

export interface AlertRow {
  id: number;
  slo_id: string;
  slo_name: string;
  tier: string;
  severity: string;
  fired_at: number;
  resolved_at: number | null;
  burn_rate: number;
  threshold: number;
}

export function alertFromRow(r: AlertRow): AlertRecord {
  return {
    id: Number(r.id),
    sloId: r.slo_id,
    sloName: r.slo_name,
    tier: r.tier,
    severity: r.severity === 'ticket' ? 'ticket' : 'page',
    firedAt: Number(r.fired_at),
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    burnRate: Number(r.burn_rate),
    threshold: Number(r.threshold),
  };
}

export function objectFromRow(r: {
  kind: string;
  name: string;
  document: string;
  definition: string | null;
}): OpenSloObjectRow {
  return {
    kind: r.kind,
    name: r.name,
    document: JSON.parse(r.document) as Record<string, unknown>,
    ...(r.definition !== null ? { definition: r.definition } : {}),
  };
}
