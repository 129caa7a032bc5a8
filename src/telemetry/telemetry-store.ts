/**
 * The telemetry store: one narrow interface, a SQLite and a PostgreSQL adapter, one contract suite
 * (store-contract.test.ts) both pass. `write` is one transaction per batch: raw points (duplicates
 * of an existing (device, metric, ts) are ignored), rollup upserts computed from the points that
 * were new, latest values and events. (Last seen is presence's: the registry's `lastSeen` reader.)
 */
import type { Attribute, DecoderDefinition, DeviceEvent, Point, Severity } from './types.js';

export interface WriteBatch {
  points: Point[];
  events: DeviceEvent[];
  attributes: Attribute[];
}

export type Agg = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'last';
export const AGGS: readonly Agg[] = ['avg', 'min', 'max', 'sum', 'count', 'last'];
export type Resolution = 'raw' | 'minute' | 'hour';

export interface BucketQuery {
  deviceId: string;
  metric: string;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  bucketMs: number;
  agg: Agg;
  source: Resolution;
}

export interface LatestValue {
  deviceId: string;
  metric: string;
  ts: number;
  value: number | null;
  text: string | null;
}

export interface StoredEvent extends DeviceEvent {
  id: number;
}

export interface EventQuery {
  deviceId: string;
  from: number;
  to: number;
  code?: string;
  severity?: Severity;
  /** Case-insensitive substring of message or code. */
  q?: string;
  limit: number;
  /** Page cursor: events strictly older than (ts, id). */
  before?: { ts: number; id: number };
}

export type RetentionTable = 'raw' | 'minute' | 'hour' | 'events';

export interface TelemetryStore {
  write(batch: WriteBatch): Promise<void>;
  /**
   * Write rollups and latest values held in memory (SQLite keeps them across batches; reads flush
   * first, so this only matters at shutdown). PostgreSQL writes them per batch: a no-op.
   */
  flushRollups(): Promise<void>;
  queryPoints(q: {
    deviceId: string;
    metric?: string;
    from: number;
    to: number;
    limit: number;
  }): Promise<Point[]>;
  queryBuckets(q: BucketQuery): Promise<{ ts: number; value: number }[]>;
  latest(q: { deviceIds?: readonly string[]; metric?: string; limit: number }): Promise<LatestValue[]>;
  queryEvents(q: EventQuery): Promise<StoredEvent[]>;
  /** Delete up to `limit` rows older than `before`; returns how many were deleted. */
  deleteBefore(table: RetentionTable, before: number, limit: number): Promise<number>;
  listDecoders(): Promise<DecoderDefinition[]>;
  getDecoder(id: string): Promise<DecoderDefinition | undefined>;
  /** Insert or replace; returns true when it was created. */
  putDecoder(def: DecoderDefinition, at: number): Promise<boolean>;
  deleteDecoder(id: string): Promise<boolean>;
}

/** Escape LIKE wildcards so `q` is a literal substring. */
export const likePattern = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
