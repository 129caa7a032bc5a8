/**
 * The dashboards store: one row per dashboard, the widgets as a JSON document (they are read and
 * written whole; nothing queries inside them). Names are unique (YAML import matches by name).
 */
import type { Migration } from '../store/index.js';
import type { Dashboard, Widget } from './types.js';

export interface DashboardsStore {
  /** Every dashboard, by name. */
  list(): Promise<Dashboard[]>;
  get(id: string): Promise<Dashboard | undefined>;
  getByName(name: string): Promise<Dashboard | undefined>;
  /** Insert a new dashboard; `'name_taken'` when another has its name. */
  create(d: Dashboard): Promise<'ok' | 'name_taken'>;
  /**
   * Replace the dashboard whose version is `d.version - 1`: `'conflict'` when it is missing or at
   * another version (a concurrent edit), `'name_taken'` when another dashboard has the new name.
   */
  update(d: Dashboard): Promise<'ok' | 'conflict' | 'name_taken'>;
  /** Whether a dashboard was deleted. */
  delete(id: string): Promise<boolean>;
}

export const DASHBOARDS_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'dashboards',
    sqlite: `CREATE TABLE dashboards (
      id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, scope TEXT NOT NULL, customer TEXT,
      spec_json TEXT NOT NULL, version INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
    postgres: `CREATE TABLE dashboards (
      id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, scope TEXT NOT NULL, customer TEXT,
      spec_json TEXT NOT NULL, version INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  },
];

export const COLUMNS = 'id, name, scope, customer, spec_json, version, created_at, updated_at';

type Row = Record<string, unknown>;

/** What the JSON column holds: the parts of the spec that have no column of their own. */
interface SpecJson {
  description?: string;
  widgets: Widget[];
}

export function dashboardFromRow(r: Row): Dashboard {
  const spec = JSON.parse(String(r.spec_json)) as SpecJson;
  return {
    id: String(r.id),
    name: String(r.name),
    scope: String(r.scope),
    ...(typeof r.customer === 'string' ? { customer: r.customer } : {}),
    ...(spec.description === undefined ? {} : { description: spec.description }),
    widgets: spec.widgets,
    version: Number(r.version),
    createdAt: Number(r.created_at), // PostgreSQL returns BIGINT as a string
    updatedAt: Number(r.updated_at),
  };
}

export type DashboardParams = [string, string, string, string | null, string, number, number, number];

/** Parameters in `COLUMNS` order. */
export function dashboardParams(d: Dashboard): DashboardParams {
  const spec: SpecJson = {
    ...(d.description === undefined ? {} : { description: d.description }),
    widgets: d.widgets,
  };
  return [
    d.id,
    d.name,
    d.scope,
    d.customer ?? null,
    JSON.stringify(spec),
    d.version,
    d.createdAt,
    d.updatedAt,
  ];
}

/** Whether a driver error is the unique name constraint (SQLite's code, or PostgreSQL's 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
