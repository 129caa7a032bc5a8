/**
 * What every platform module receives at wiring time, and what it gives back. `app.ts` builds the
 * context once and calls each module's `create…` function in dependency order.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import {
  singleNodeEvents,
  singleNodeOwnership,
  type ClusterEvents,
  type Clock,
  type EventBus,
  type Logger,
  type Ownership,
  type TsunaguConfig,
} from '../core/index.js';
import type { BrokerApi } from '../mqtt/index.js';
import type { Database } from '../store/index.js';

export interface ModuleContext {
  config: TsunaguConfig;
  db: Database;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  broker: BrokerApi;
  /** Prometheus registry served at /metrics. */
  metrics: Registry;
  /**
   * Scale-out seams (docs/cluster.md). `app.ts` always sets both; they are optional only so test
   * harnesses that build a context by hand keep compiling — use `ownershipOf(ctx)` /
   * `clusterEventsOf(ctx)`, which fall back to the single-node implementations.
   */
  ownership?: Ownership;
  clusterEvents?: ClusterEvents;
}

export interface PlatformModule {
  readonly name: string;
  /** Routes registered inside the authenticated `/api/v1` scope. */
  routes?: (api: FastifyInstance) => void | Promise<void>;
  /** Start timers and background work (after migrations, before listeners accept traffic). */
  start?(): Promise<void>;
  /**
   * Open this module's own listeners (e.g. the raw TCP telegram port), called by `App.listen()` after
   * MQTT and HTTP. Return the bound ports by name (port 0 means "any free port"). Throw
   * `PortInUseError` (from app.ts's `onPort` semantics: port, what, flag) when a port is taken.
   */
  listen?(host: string): Promise<Record<string, number>>;
  /**
   * Every listener is open (called by `App.listen()` after MQTT, HTTP and modules' own listeners):
   * devices can reach the platform from now on. Health starts judging heartbeat deadlines here.
   */
  listening?(): Promise<void> | void;
  /** Shutdown begins, before any listener closes: devices can no longer reach the platform. */
  closing?(): Promise<void> | void;
  /** Stop timers, flush what is buffered. Called in reverse order at shutdown. */
  stop?(): Promise<void>;
}

const fallbackEvents = new WeakMap<ModuleContext, ClusterEvents>();

/** The context's ownership seam, or "this node owns everything". */
export function ownershipOf(ctx: Pick<ModuleContext, 'ownership' | 'config'>): Ownership {
  return ctx.ownership ?? singleNodeOwnership(ctx.config.nodeId);
}

/** The context's cluster events, or one local dispatcher per hand-built context. */
export function clusterEventsOf(ctx: ModuleContext): ClusterEvents {
  if (ctx.clusterEvents) return ctx.clusterEvents;
  let ev = fallbackEvents.get(ctx);
  if (!ev) {
    ev = singleNodeEvents(ctx.log);
    fallbackEvents.set(ctx, ev);
  }
  return ev;
}
