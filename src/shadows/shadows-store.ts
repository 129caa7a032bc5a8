/**
 * The shadows store interface. Two adapters (SQLite, PostgreSQL) pass one contract suite
 * (store.contract.ts). A save is one transaction: document row plus history entry, committed
 * before the service publishes `/update/accepted` (durable before accepted).
 */
import type { Actor } from '../core/index.js';
import type { Migration } from '../store/index.js';
import type { ShadowDocument, ShadowState } from './document.js';
import type { Json } from './json.js';

export interface HistoryEntry {
  deviceId: string;
  name: string;
  /** The shadow version this entry produced (a delete records the version it removed). */
  version: number;
  op: 'update' | 'delete';
  /** Epoch ms. */
  at: number;
  actor: Actor;
  /** The request's `state` (updates), null for deletes. */
  request: Json;
  /** The resulting state (empty for deletes). */
  state: ShadowState;
}

export interface HistoryQuery {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  limit: number;
  offset: number;
}

/** What the caller last read; `undefined` means "no row yet". */
export interface Expected {
  version: number;
  deleted: boolean;
}

export interface Mutation<T> {
  doc: ShadowDocument;
  entry: HistoryEntry;
  result: T;
}

/** One shadow of a batch. */
export interface ShadowKey {
  deviceId: string;
  name: string;
}

/** A batch item's outcome: its result, or what `fn` threw for it (nothing written for that item). */
export type BatchResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface ShadowStore {
  /** The stored document, tombstones (deleted) included so versions continue after a delete. */
  get(deviceId: string, name: string): Promise<ShadowDocument | undefined>;
  /** Many documents in one query (in `keys` order; undefined where there is none). */
  getMany(keys: readonly ShadowKey[]): Promise<(ShadowDocument | undefined)[]>;
  /**
   * Write `doc` and `entry` atomically if the row still matches `expected` (optimistic check for
   * several nodes). Returns false when another writer got there first.
   */
  save(doc: ShadowDocument, expected: Expected | undefined, entry: HistoryEntry): Promise<boolean>;
  /**
   * Read the current document (tombstones included) under a write lock, let `fn` compute the next
   * document and its history entry, and write both in the same transaction. `fn` is synchronous
   * and may throw (nothing is written). SQLite: an IMMEDIATE transaction; PostgreSQL:
   * `SELECT … FOR UPDATE`, so writers on several nodes wait for each other instead of failing.
   */
  mutate<T>(
    deviceId: string,
    name: string,
    fn: (current: ShadowDocument | undefined) => Mutation<T>,
  ): Promise<T>;
  /**
   * `mutate` for many shadows in ONE transaction (distinct keys; a repeated key throws): every
   * row is read under the write lock (PostgreSQL: locked in key order, so two batches cannot
   * deadlock), `fn` runs per item, and the documents and history entries are written with one
   * statement each. An item whose `fn` throws is left out (its error is its result); the others
   * commit together. Results in `keys` order.
   */
  mutateMany<T>(
    keys: readonly ShadowKey[],
    fn: (current: ShadowDocument | undefined, index: number) => Mutation<T>,
  ): Promise<BatchResult<T>[]>;
  /** Names of the device's live shadows ('' is the classic shadow). */
  listNames(deviceId: string): Promise<string[]>;
  /** History oldest first, with the total matching the filter. */
  history(deviceId: string, name: string, q: HistoryQuery): Promise<{ items: HistoryEntry[]; total: number }>;
  /** The update entry that produced `version`. */
  historyAt(deviceId: string, name: string, version: number): Promise<HistoryEntry | undefined>;
}

export const SHADOW_MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'documents and history',
    sqlite: `
      CREATE TABLE shadows_documents (
        device_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
        state TEXT NOT NULL, metadata TEXT NOT NULL, updated_at INTEGER NOT NULL, deleted INTEGER NOT NULL,
        PRIMARY KEY (device_id, name));
      CREATE TABLE shadows_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, name TEXT NOT NULL,
        version INTEGER NOT NULL, op TEXT NOT NULL, at INTEGER NOT NULL, actor_kind TEXT NOT NULL,
        actor_id TEXT NOT NULL, request TEXT NOT NULL, state TEXT NOT NULL);
      CREATE UNIQUE INDEX shadows_history_version ON shadows_history (device_id, name, version, op);
      CREATE INDEX shadows_history_at ON shadows_history (device_id, name, at);`,
    postgres: `
      CREATE TABLE shadows_documents (
        device_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
        state TEXT NOT NULL, metadata TEXT NOT NULL, updated_at BIGINT NOT NULL, deleted BOOLEAN NOT NULL,
        PRIMARY KEY (device_id, name));
      CREATE TABLE shadows_history (
        seq BIGSERIAL PRIMARY KEY, device_id TEXT NOT NULL, name TEXT NOT NULL,
        version INTEGER NOT NULL, op TEXT NOT NULL, at BIGINT NOT NULL, actor_kind TEXT NOT NULL,
        actor_id TEXT NOT NULL, request TEXT NOT NULL, state TEXT NOT NULL);
      CREATE UNIQUE INDEX shadows_history_version ON shadows_history (device_id, name, version, op);
      CREATE INDEX shadows_history_at ON shadows_history (device_id, name, at);`,
  },
];

export interface DocumentRow {
  device_id: string;
  name: string;
  version: number;
  state: string;
  metadata: string;
  updated_at: number | string;
  deleted: number | boolean;
}

export interface HistoryRow {
  device_id: string;
  name: string;
  version: number;
  op: string;
  at: number | string;
  actor_kind: string;
  actor_id: string;
  request: string;
  state: string;
}

/** Parameters of a document row in column order (device_id, name, version, state, metadata, updated_at, deleted). */
export function documentParams(
  doc: ShadowDocument,
): [string, string, number, string, string, number, boolean] {
  return [
    doc.deviceId,
    doc.name,
    doc.version,
    JSON.stringify(doc.state),
    JSON.stringify(doc.metadata),
    doc.updatedAt,
    doc.deleted,
  ];
}

/** Parameters of a history row (device_id, name, version, op, at, actor_kind, actor_id, request, state). */
export function historyParams(e: HistoryEntry): (string | number)[] {
  return [
    e.deviceId,
    e.name,
    e.version,
    e.op,
    e.at,
    e.actor.kind,
    e.actor.id,
    JSON.stringify(e.request),
    JSON.stringify(e.state),
  ];
}

/** Throws when a key repeats (a batch writes each shadow once). */
export function assertDistinct(keys: readonly ShadowKey[]): void {
  const seen = new Set<string>();
  for (const k of keys) {
    const id = `${k.deviceId}\u0000${k.name}`;
    if (seen.has(id)) throw new Error(`shadow ${k.deviceId}/${k.name} appears twice in one batch`);
    seen.add(id);
  }
}

export function rowToDocument(r: DocumentRow): ShadowDocument {
  return {
    deviceId: r.device_id,
    name: r.name,
    version: Number(r.version),
    state: JSON.parse(r.state) as ShadowDocument['state'],
    metadata: JSON.parse(r.metadata) as ShadowDocument['metadata'],
    updatedAt: Number(r.updated_at),
    deleted: r.deleted === true || r.deleted === 1,
  };
}

export function rowToHistory(r: HistoryRow): HistoryEntry {
  return {
    deviceId: r.device_id,
    name: r.name,
    version: Number(r.version),
    op: r.op === 'delete' ? 'delete' : 'update',
    at: Number(r.at),
    actor: { kind: r.actor_kind as HistoryEntry['actor']['kind'], id: r.actor_id },
    request: JSON.parse(r.request) as Json,
    state: JSON.parse(r.state) as ShadowState,
  };
}
