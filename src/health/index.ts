/**
 * Fleet health: heartbeat deadlines, hardware-error thresholds, the service-state machine and
 * flapping alerts. Health only emits (`service-state.changed`, `heartbeat.checked`, `health.alert`);
 * notify decides who hears about it.
 */
import { Gauge, Histogram } from 'prom-client';
import { deviceTopics, type DeviceDirectory, type LastSeenReader } from '../core/index.js';
import { describeDrops } from '../mqtt/index.js';
import { clusterEventsOf, ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import { HealthEngine } from './engine.js';
import { forwardTo, wireHealthCluster } from './health-cluster.js';
import type { HealthStore } from './health-store.js';
import { createPgHealthStore } from './pg-health-store.js';
import { healthRoutes } from './routes.js';
import { createHealthApi, type HealthApi } from './service.js';
import { createSqliteHealthStore } from './sqlite-health-store.js';
import { registerStateMetrics } from './state-metrics.js';

export type { HealthApi, ServiceStateView } from './service.js';
export type { HealthPolicy, ErrorThreshold } from './policy.js';
export type { FleetHealth } from './fleet-view.js';
export { benchHealth } from './bench.js';

export interface HealthModule extends PlatformModule {
  engine: HealthEngine;
  api: HealthApi;
}

export interface HealthOptions {
  /** `alive_at` write interval (default 5 s). */
  flushIntervalMs?: number;
  /** Presence's last-seen reader (the registry's): last signs of life at start and on shard moves. */
  lastSeen?: LastSeenReader;
}

export function openHealthStore(ctx: ModuleContext): Promise<HealthStore> {
  return ctx.db.kind === 'sqlite' ? createSqliteHealthStore(ctx.db) : createPgHealthStore(ctx.db);
}

export async function createHealth(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: HealthOptions = {},
): Promise<HealthModule> {
  const log = ctx.log.child({ component: 'health' });
  const store = await openHealthStore(ctx);
  const events = clusterEventsOf(ctx);
  const engine = new HealthEngine({
    ownership: ownershipOf(ctx),
    forward: forwardTo(events),
    clock: ctx.clock,
    bus: ctx.bus,
    log,
    store,
    directory,
    ...opts,
    publish: (deviceId, payload) => {
      ctx.broker
        .publish({ topic: deviceTopics.serviceState(deviceId), payload, qos: 1, retain: true })
        .then((r) => {
          // Retained: a dropped live copy is still there for the next subscribe.
          if (r.dropCount > 0)
            log.warn({ deviceId, drops: r.drops }, `health: service state ${describeDrops(r)}`);
        })
        .catch((err: unknown) => log.warn({ err, deviceId }, 'health: publishing service state failed'));
    },
  });
  const api = createHealthApi(engine, store, () => ctx.clock.now(), opts.lastSeen);
  const downtime = new Gauge({
    name: 'tsunagu_health_platform_downtime_seconds',
    help: 'Length of the last platform downtime (devices could not reach it; not held against them)',
    registers: [ctx.metrics],
  });
  registerMetrics(ctx, engine);
  const unsubscribe: (() => void)[] = [registerStateMetrics(ctx, engine)];
  return {
    name: 'health',
    engine,
    api,
    routes: healthRoutes(api),
    async start() {
      await engine.start();
      unsubscribe.push(
        ...wireBus(ctx, engine, store, log),
        ...wireHealthCluster(engine, store, events, log, ctx.bus),
      );
    },
    // Deadlines are judged only while devices can reach us (docs/health.md "Restarts").
    async listening() {
      const d = await engine.listenersOpen();
      if (d) downtime.set((d.to - d.from) / 1000);
    },
    closing: () => engine.listenersClosing(),
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await engine.stop();
    },
  };
}

function wireBus(
  ctx: ModuleContext,
  engine: HealthEngine,
  store: HealthStore,
  log: ModuleContext['log'],
): (() => void)[] {
  const bus = ctx.bus;
  return [
    // The message's kind says what it is (telemetry names it from the topic catalogue, core/device-topics.ts).
    bus.on('device.message', (m) =>
      engine.signOfLife(m.deviceId, m.at, m.kind === 'heartbeat' ? 'heartbeat' : 'message'),
    ),
    bus.on('device.connected', (e) => engine.signOfLife(e.deviceId, e.at, 'connected')),
    bus.on('device.disconnected', (e) => {
      if (!e.refused) engine.signOfLife(e.deviceId, e.at, 'disconnected');
    }),
    bus.on('device.event', (e) => engine.deviceEvent(e.deviceId, e.code, e.at)),
    bus.on('device.flapping', (e) => engine.flapping(e.deviceId, e.at, e.connects, e.windowMs)),
    bus.on('device.changed', (e) => {
      const work =
        e.change === 'deleted'
          ? (engine.untrack(e.deviceId), store.deleteDevice(e.deviceId))
          : engine.refreshDevice(e.deviceId).then(() => undefined);
      work.catch((err: unknown) => log.warn({ err, deviceId: e.deviceId }, 'health: device change failed'));
    }),
  ];
}

function registerMetrics(ctx: ModuleContext, engine: HealthEngine): void {
  const delay = new Histogram({
    name: 'tsunagu_health_deadline_delay_seconds',
    help: 'Time from a missed heartbeat deadline to the device being taken out of service',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [ctx.metrics],
  });
  engine.onExpired = (deadline, now) => delay.observe(Math.max(0, now - deadline) / 1000);
  new Gauge({
    name: 'tsunagu_health_devices',
    help: 'Tracked devices by service state',
    labelNames: ['state'],
    registers: [ctx.metrics],
    collect() {
      const counts: Record<string, number> = { in_service: 0, out_of_service: 0, maintenance: 0, retired: 0 };
      for (const d of engine.devices.values()) counts[d.state] = (counts[d.state] ?? 0) + 1;
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
}
