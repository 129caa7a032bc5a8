/**
 * The cluster implementations of the scale-out seams (ARCHITECTURE.md): ownership with leases in
 * PostgreSQL, cluster events over NATS. `app.ts` picks these or the single-node ones in one place.
 * No business logic lives here. See docs/cluster.md.
 */
import { Gauge, type Registry } from 'prom-client';
import {
  type Clock,
  type ClusterEvents,
  DEFAULT_SHARDS,
  type Logger,
  type Member,
  type Ownership,
} from '../core/index.js';
import type { PostgresDatabase } from '../store/index.js';
import { NatsClusterEvents } from './nats-events.js';
import { DEFAULT_LEASE_TIMING, PgOwnership } from './pg-ownership.js';

export { PgOwnership, DEFAULT_LEASE_TIMING } from './pg-ownership.js';
export { NatsClusterEvents, DEFAULT_SUBJECT } from './nats-events.js';
export { ShardCountMismatchError } from './pg-tables.js';
export { LeaseBook, planRound, targetShare } from './lease-book.js';

export interface ClusterOptions {
  /** `nats://host:port` for cluster events. */
  natsUrl: string;
  /** NATS subject for cluster events; nodes of one cluster must agree (default `tsunagu.cluster.events`). */
  subject?: string;
  shardCount?: number;
  ttlMs?: number;
  renewMs?: number;
  marginMs?: number;
}

export interface Cluster {
  ownership: Ownership;
  events: ClusterEvents;
  /** For /readyz: who is in the cluster, and whether this node holds leases. */
  status(): ClusterStatus;
  /** Release leases (others take them at once), close NATS. */
  close(): Promise<void>;
}

export interface ClusterStatus {
  nodeId: string;
  members: Member[];
  shardsHeld: number;
  shardCount: number;
}

/** performance.now() for lease deadlines: wall-clock steps (NTP) must not stretch a lease. */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

export async function createCluster(
  opts: ClusterOptions,
  deps: { db: PostgresDatabase; nodeId: string; log: Logger; clock?: Clock },
): Promise<Cluster> {
  const log = deps.log.child({ component: 'cluster' });
  const events = await NatsClusterEvents.connect({
    url: opts.natsUrl,
    nodeId: deps.nodeId,
    log,
    ...(opts.subject ? { subject: opts.subject } : {}),
  });
  const ownership = new PgOwnership({
    db: deps.db,
    nodeId: deps.nodeId,
    shardCount: opts.shardCount ?? DEFAULT_SHARDS,
    ttlMs: opts.ttlMs ?? DEFAULT_LEASE_TIMING.ttlMs,
    renewMs: opts.renewMs ?? DEFAULT_LEASE_TIMING.renewMs,
    marginMs: opts.marginMs ?? DEFAULT_LEASE_TIMING.marginMs,
    clock: deps.clock ?? monotonicClock,
    log,
  });
  try {
    await ownership.start();
  } catch (err) {
    await events.close();
    throw err;
  }
  return {
    ownership,
    events,
    status: () => ({
      nodeId: ownership.owner,
      members: ownership.members(),
      shardsHeld: ownership.ownedShards().length,
      shardCount: ownership.shardCount,
    }),
    async close() {
      await ownership.close();
      await events.close();
    },
  };
}

/** Per-node cluster gauges on /metrics. */
export function registerClusterMetrics(metrics: Registry, cluster: Cluster): void {
  new Gauge({
    name: 'tsunagu_cluster_members',
    help: 'Live cluster members, as this node last saw them',
    registers: [metrics],
    collect() {
      this.set(cluster.status().members.length);
    },
  });
  new Gauge({
    name: 'tsunagu_cluster_leases_held',
    help: 'Shard leases this node holds',
    registers: [metrics],
    collect() {
      this.set(cluster.status().shardsHeld);
    },
  });
  new Gauge({
    name: 'tsunagu_cluster_nats_rtt_seconds',
    help: 'Round trip to the NATS server, measured at scrape time (-1: unreachable)',
    registers: [metrics],
    async collect() {
      const ev = cluster.events;
      if (!(ev instanceof NatsClusterEvents)) return;
      try {
        this.set((await withTimeout(ev.rtt(), 2000)) / 1000);
      } catch {
        this.set(-1);
      }
    },
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
