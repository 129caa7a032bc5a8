/**
 * The cluster implementations of the scale-out seams (ARCHITECTURE.md): ownership with leases in
 * PostgreSQL, cluster events over NATS. `app.ts` picks these or the single-node ones in one place.
 * No business logic lives here. See docs/cluster.md.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  type Clock,
  type ClusterEvents,
  DEFAULT_SHARDS,
  type Logger,
  type Member,
  type Ownership,
} from '../core/index.js';
import type { FanOutFactory } from '../mqtt/index.js';
import type { PostgresDatabase } from '../store/index.js';
import { connect } from 'nats';
import { NatsClusterEvents, DEFAULT_SUBJECT } from './nats-events.js';
import { memberOf, NatsFanOut, type FanOutStats } from './nats-fan-out.js';
import { MemberLiveness } from './member-liveness.js';
import { OrphanAdopter } from './orphans.js';
import { DEFAULT_LEASE_TIMING, PgOwnership } from './pg-ownership.js';
import { PgPresence } from './pg-presence.js';

export { PgOwnership, DEFAULT_LEASE_TIMING } from './pg-ownership.js';
export { NatsClusterEvents, DEFAULT_SUBJECT } from './nats-events.js';
export { ShardCountMismatchError } from './pg-tables.js';
export { LeaseBook, planRound, targetShare } from './lease-book.js';
export { NatsFanOut, type FanOutStats } from './nats-fan-out.js';
export { InterestTable } from './interest.js';
export { PgPresence } from './pg-presence.js';

export interface ClusterOptions {
  /** `nats://host:port` for cluster events. */
  natsUrl: string;
  /** NATS subject for cluster events; nodes of one cluster must agree (default `tsunagu.cluster.events`). */
  subject?: string;
  shardCount?: number;
  ttlMs?: number;
  renewMs?: number;
  marginMs?: number;
  /** Cross-node MQTT fan-out: full interest set announced every … ms (default 2000). */
  fanOutResyncMs?: number;
}

export interface Cluster {
  ownership: Ownership;
  events: ClusterEvents;
  /** The cross-node MQTT fan-out, for `BrokerOptions.fanOut` (one broker per cluster node). */
  fanOut: FanOutFactory;
  /** Forwarded messages and known interest, once the broker has built the fan-out. */
  fanOutStats(): FanOutStats | undefined;
  /** The presence seam for the registry (`RegistryOptions.presence`); started and stopped by it. */
  presence: PgPresence;
  /** For /readyz: who is in the cluster, and whether this node holds leases. */
  status(): ClusterStatus;
  /** Release leases (others take them at once), close NATS. */
  close(): Promise<void>;
}

export interface ClusterStatus {
  /** This node's member id (`--node-id` + `#random`, unique per process). */
  nodeId: string;
  /** Member of the cluster now: its last lease round reached PostgreSQL in time and listed it. /readyz is 503 otherwise. */
  joined: boolean;
  members: Member[];
  shardsHeld: number;
  /** The shards this node owns (timers keyed onto them run here). */
  ownedShards: number[];
  shardCount: number;
  /** PostgreSQL as the lease rounds see it: ok when the last round completed within ttl − margin. */
  database: { ok: boolean; lastRoundMsAgo: number | null };
  nats: { connected: boolean; server: string };
  /** Devices connected to this node, fleet-wide and per member as this node knows it. */
  presence: { local: number; fleet: number; byMember: Record<string, number> };
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
  deps: { db: PostgresDatabase; nodeId: string; log: Logger; clock?: Clock; now?: () => number },
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
  // Its own connection: MQTT traffic must not queue behind (or ahead of) cluster events.
  const fanOutNc = await connect({
    servers: opts.natsUrl,
    name: `tsunagu ${deps.nodeId} fan-out`,
    noEcho: true,
    maxReconnectAttempts: -1,
  });
  let fanOut: NatsFanOut | undefined;
  let adopter: OrphanAdopter | undefined;
  // Held for the process's life: its end tells the adopter this member's process is gone.
  const liveness = new MemberLiveness(deps.db, ownership.owner, log);
  try {
    await liveness.start();
    await ownership.start();
  } catch (err) {
    await liveness.close();
    await events.close();
    await fanOutNc.close();
    throw err;
  }
  const presence = new PgPresence({
    db: deps.db,
    member: ownership.owner,
    nodeId: deps.nodeId,
    ownership,
    events,
    timers: deps.clock ?? monotonicClock,
    now: deps.now ?? Date.now,
    log,
    checkMs: opts.renewMs ?? DEFAULT_LEASE_TIMING.renewMs,
  });
  return {
    ownership,
    events,
    fanOut: (local, host) => {
      if (fanOut) throw new Error('cluster fan-out: one broker per cluster node');
      host.setHolder(ownership.owner);
      const f = (fanOut = new NatsFanOut(local, host, {
        nc: fanOutNc,
        base: `${opts.subject ?? DEFAULT_SUBJECT}.mqtt`,
        nodeId: deps.nodeId,
        member: memberOf(ownership.owner),
        owner: ownership.owner,
        log,
        ...(opts.fanOutResyncMs ? { resyncMs: opts.fanOutResyncMs } : {}),
      }));
      f.start();
      adopter = new OrphanAdopter({
        ownership,
        everyMs: opts.renewMs ?? DEFAULT_LEASE_TIMING.renewMs,
        graceMs: 2 * (opts.ttlMs ?? DEFAULT_LEASE_TIMING.ttlMs),
        quickGraceMs: 0,
        joined: () => ownership.joined(),
        log,
        adopt: (live, candidates) => host.adoptOrphans(live, candidates),
        candidates: () => f.knownOwners(),
        adopted: (dead, clients) => f.adopted(dead, clients),
      });
      adopter.start();
      return f;
    },
    fanOutStats: () => fanOut?.stats,
    presence,
    status: () => {
      const owned = ownership.ownedShards();
      const since = ownership.sinceLastRound();
      return {
        nodeId: ownership.owner,
        joined: ownership.joined() && events.connected(),
        members: ownership.members(),
        shardsHeld: owned.length,
        ownedShards: owned,
        shardCount: ownership.shardCount,
        database: {
          ok:
            since <
            (opts.ttlMs ?? DEFAULT_LEASE_TIMING.ttlMs) - (opts.marginMs ?? DEFAULT_LEASE_TIMING.marginMs),
          lastRoundMsAgo: Number.isFinite(since) ? Math.round(since) : null,
        },
        nats: { connected: events.connected(), server: events.server() },
        presence: {
          local: presence.localCount(),
          fleet: presence.connectedCount(),
          byMember: presence.countsByMember(),
        },
      };
    },
    async close() {
      adopter?.stop();
      await fanOut?.close();
      await fanOutNc.drain().catch(() => undefined);
      await ownership.close();
      await liveness.close();
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
  new Counter({
    name: 'tsunagu_cluster_forwarded_out_total',
    help: 'MQTT messages this node forwarded to other nodes (one per target node)',
    registers: [metrics],
    collect() {
      this.reset();
      this.inc(cluster.fanOutStats()?.forwardedOut ?? 0);
    },
  });
  new Counter({
    name: 'tsunagu_cluster_forwarded_in_total',
    help: 'MQTT messages other nodes forwarded to this node',
    registers: [metrics],
    collect() {
      this.reset();
      this.inc(cluster.fanOutStats()?.forwardedIn ?? 0);
    },
  });
  new Counter({
    name: 'tsunagu_cluster_forward_timeouts_total',
    help: 'Forwarded QoS 1/2 messages another node did not accept in time (publisher not acknowledged)',
    registers: [metrics],
    collect() {
      this.reset();
      this.inc(cluster.fanOutStats()?.forwardTimeouts ?? 0);
    },
  });
  new Counter({
    name: 'tsunagu_cluster_forwards_deduplicated_total',
    help: 'Forwarded QoS 2 messages this node had already accepted (a resend after a forward timeout): answered, not delivered again',
    registers: [metrics],
    collect() {
      this.reset();
      this.inc(cluster.fanOutStats()?.deduplicated ?? 0);
    },
  });
  new Counter({
    name: 'tsunagu_cluster_forward_dropped_total',
    help: 'Copies of forwarded QoS 1/2 messages that the receiving nodes dropped (queue full, too large)',
    registers: [metrics],
    collect() {
      this.reset();
      this.inc(cluster.fanOutStats()?.forwardDropped ?? 0);
    },
  });
  new Gauge({
    name: 'tsunagu_cluster_sessions_taken_over',
    help: 'MQTT sessions another node released to a CONNECT on this node (session takeover), since start',
    registers: [metrics],
    collect() {
      this.set(cluster.fanOutStats()?.sessionsTakenOver ?? 0);
    },
  });
  new Gauge({
    name: 'tsunagu_cluster_sessions_adopted',
    help: 'Sessions and wills of dead nodes this node adopted (clients), since start',
    registers: [metrics],
    collect() {
      this.set(cluster.fanOutStats()?.adoptedClients ?? 0);
    },
  });
  new Counter({
    name: 'tsunagu_cluster_forwards_redelivered_total',
    help: 'QoS 1/2 messages for a dead node re-sent to (or delivered on) the node that adopted its sessions',
    registers: [metrics],
    collect() {
      this.reset();
      this.inc(cluster.fanOutStats()?.redelivered ?? 0);
    },
  });
  new Gauge({
    name: 'tsunagu_cluster_remote_filters',
    help: 'Subscription filters other nodes hold, as this node knows them (fan-out interest)',
    registers: [metrics],
    collect() {
      this.set(cluster.fanOutStats()?.remoteFilters ?? 0);
    },
  });
  new Gauge({
    name: 'tsunagu_cluster_presence_devices',
    help: 'Devices connected fleet-wide, as this node knows it (presence)',
    registers: [metrics],
    collect() {
      this.set(cluster.presence.connectedCount());
    },
  });
  new Gauge({
    name: 'tsunagu_cluster_joined',
    help: '1 when this node is a live cluster member (lease round in time, NATS connected)',
    registers: [metrics],
    collect() {
      this.set(cluster.status().joined ? 1 : 0);
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
