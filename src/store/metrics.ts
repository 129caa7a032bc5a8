/**
 * Store metrics (docs/observability.md): which backend, and for PostgreSQL the pool's use and the
 * latency of every query the platform sends (timed per connection, so module adapters need no
 * change). SQLite calls are synchronous and in-process: its cost shows as event-loop lag and in
 * each module's own latencies; the file size is exposed instead.
 */
import { statSync } from 'node:fs';
import type pg from 'pg';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { Database } from './database.js';

type QueryFn = (...args: unknown[]) => unknown;

export function registerStoreMetrics(registry: Registry, db: Database): void {
  const registers = [registry];
  new Gauge({
    name: 'tsunagu_store_info',
    help: 'The storage backend in use (value 1)',
    labelNames: ['backend'],
    registers,
  }).set({ backend: db.kind }, 1);
  if (db.kind === 'sqlite') {
    const file = db.db.name;
    new Gauge({
      name: 'tsunagu_store_sqlite_file_size_bytes',
      help: 'Size of the SQLite database file and its write-ahead log',
      registers,
      collect() {
        const size = (f: string): number => {
          try {
            return statSync(f).size;
          } catch {
            return 0;
          }
        };
        this.set(file === ':memory:' ? 0 : size(file) + size(`${file}-wal`));
      },
    });
    return;
  }
  const pool = db.pool;
  new Gauge({
    name: 'tsunagu_store_pool_connections',
    help: 'PostgreSQL pool connections by state (idle, in_use)',
    labelNames: ['state'],
    registers,
    collect() {
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
    },
  });
  new Gauge({
    name: 'tsunagu_store_pool_max_connections',
    help: 'PostgreSQL pool size limit',
    registers,
    collect() {
      this.set(pool.options.max ?? 10);
    },
  });
  new Gauge({
    name: 'tsunagu_store_pool_waiting_requests',
    help: 'Requests waiting for a free PostgreSQL connection',
    registers,
    collect() {
      this.set(pool.waitingCount);
    },
  });
  const latency = new Histogram({
    name: 'tsunagu_store_query_duration_seconds',
    help: 'PostgreSQL query latency as the platform sees it (send to result)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers,
  });
  pool.on('connect', (client: pg.PoolClient) => {
    const query = client.query.bind(client) as QueryFn;
    (client as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
      const done = latency.startTimer();
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        // Callback style (pg.Pool#query uses it).
        args[args.length - 1] = (...cb: unknown[]) => {
          done();
          return (last as QueryFn)(...cb);
        };
        return query(...args);
      }
      const out = query(...args);
      if (out instanceof Promise) return out.finally(() => done());
      return out; // a Submittable (cursor): not timed
    };
  });
}
