/**
 * Schedules: calendars that write desired state at local time and verify the device applied it
 * (docs/schedules.md). Definitions and preview in service.ts, resolution in resolve.ts, execution
 * and verification in executor.ts.
 */
import { Counter } from 'prom-client';
import type { DeviceDirectory } from '../core/index.js';
import { clusterEventsOf, ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import { Executor, type ShadowWriter } from './executor.js';
import { createPgSchedulesStore } from './pg-schedules-store.js';
import { schedulesRoutes } from './routes.js';
import type { SchedulesStore } from './schedules-store.js';
import { SchedulesService } from './service.js';
import { createSqliteSchedulesStore } from './sqlite-schedules-store.js';

export { Resolver, resolveAt, MAX_LOOKBACK_DAYS } from './resolve.js';
export { importHolidays } from './ics.js';
export { validateSchedule } from './validate.js';
export { ScheduleErrors } from './errors.js';
export { SchedulesService } from './service.js';
export { Executor } from './executor.js';
export type { ShadowWriter } from './executor.js';
export type { Execution, ExecutionStatus, Override } from './execution.js';
export type { Schedule, ScheduleSpec, SlotWrite, EffectiveState, Rule, Slot } from './types.js';

export interface SchedulesModule extends PlatformModule {
  service: SchedulesService;
  executor: Executor;
  store: SchedulesStore;
  /** Resolves when no executor work is in flight (tests, benchmarks). */
  idle(): Promise<void>;
}

/**
 * Who is connected, fleet-wide: the registry's presence seam satisfies it (structurally, so this
 * module does not import the registry). Without it, this node's broker sessions are asked, which
 * on a cluster misses devices connected to other nodes.
 */
export interface SchedulesPresence {
  isConnected(deviceId: string): boolean;
  onChange(listener: (c: { deviceId: string; online: boolean }) => void): () => void;
}

export interface SchedulesOptions {
  /** Presence seam (the app passes the registry's); default: the local broker. */
  presence?: SchedulesPresence;
  /** Wait after a device connects before the catch-up write (default 2 s). */
  catchUpDelayMs?: number;
}

export function openSchedulesStore(ctx: Pick<ModuleContext, 'db'>): Promise<SchedulesStore> {
  return ctx.db.kind === 'sqlite' ? createSqliteSchedulesStore(ctx.db) : createPgSchedulesStore(ctx.db);
}

export async function createSchedules(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  shadows: ShadowWriter,
  opts: SchedulesOptions = {},
): Promise<SchedulesModule> {
  const log = ctx.log.child({ module: 'schedules' });
  const store = await openSchedulesStore(ctx);
  const events = clusterEventsOf(ctx);
  const service = new SchedulesService({
    store,
    directory,
    bus: ctx.bus,
    clock: ctx.clock,
    // Every node (this one first, synchronously) reloads the schedule and re-arms its timers.
    changed: (id) => events.publish('invalidate', { kind: 'schedule', id }),
  });
  const executor = new Executor({
    store,
    service,
    shadows,
    bus: ctx.bus,
    clock: ctx.clock,
    ownership: ownershipOf(ctx),
    log,
    ...(opts.presence
      ? {
          isOnline: (id: string) => opts.presence!.isConnected(id),
          onOnline: (l: (id: string) => void) =>
            opts.presence!.onChange((c) => {
              if (c.online) l(c.deviceId);
            }),
        }
      : { isOnline: (id: string) => ctx.broker.clientInfo(id) !== undefined }),
    handOff: {
      publish: (ev) => events.publish('schedule.shadow', ev),
      subscribe: (handler) => events.subscribe('schedule.shadow', handler),
    },
    ...(opts.catchUpDelayMs === undefined ? {} : { catchUpDelayMs: opts.catchUpDelayMs }),
  });
  const executions = new Counter({
    name: 'tsunagu_schedule_executions_total',
    help: 'Schedule executions that reached a final state, by status (verified, failed, superseded, overridden)',
    labelNames: ['status'],
    registers: [ctx.metrics],
  });
  const unsubscribe: (() => void)[] = [];
  let started = false;
  return {
    name: 'schedules',
    service,
    executor,
    store,
    routes: schedulesRoutes(service),
    async start() {
      unsubscribe.push(
        ctx.bus.on('schedule.execution', (e) => executions.inc({ status: e.status })),
        events.subscribe('invalidate', ({ kind, id }) => {
          if (kind === 'schedule' && started) executor.refresh(id);
        }),
        events.onResync(() => {
          void store
            .list()
            .then((all) => {
              for (const s of all) executor.refresh(s.id);
            })
            .catch((err: unknown) => log.error({ err }, 'schedules: resync failed'));
        }),
      );
      await executor.start();
      started = true;
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await executor.stop();
    },
    idle: () => executor.idle(),
  };
}
