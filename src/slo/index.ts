/**
 * The slo module: SLIs on critical machine communication counted into per-minute counters,
 * SLOs with error budgets and multiwindow burn-rate alerts, OpenSLO import/export (docs/slo.md).
 */
import type { DeviceDirectory } from '../core/index.js';
import { clusterEventsOf, ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import { SloEngine } from './service.js';
import { registerSloMetrics } from './metrics.js';
import { openSloStore } from './open-slo-store.js';
import { sloRoutes } from './routes.js';
import type { SloStore } from './slo-store.js';

export type { SloDefinition, Sli, SloWindow, AlertTier } from './types.js';
export type { SloStatus } from './budget.js';
export type { SloStore, AlertRecord, CounterRow } from './slo-store.js';
export { SloEngine } from './service.js';
export { benchSlo } from './bench.js';

export interface SloModule extends PlatformModule {
  engine: SloEngine;
  store: SloStore;
}

export async function createSlo(ctx: ModuleContext, directory: DeviceDirectory): Promise<SloModule> {
  const store = await openSloStore(ctx.db);
  const events = clusterEventsOf(ctx);
  const log = ctx.log.child({ component: 'slo' });
  const engine = new SloEngine({
    store,
    bus: ctx.bus,
    clock: ctx.clock,
    directory,
    log,
    ownership: ownershipOf(ctx),
    // A definition stored or deleted through any node's API reaches every node's engine.
    changed: (id) => events.publish('invalidate', { kind: 'slo', id }),
  });
  const offs: (() => void)[] = [];
  const refresh = (name: string): void =>
    void engine.refresh(name).catch((err: unknown) => log.error({ err, slo: name }, 'slo: refresh failed'));
  registerSloMetrics(ctx.metrics, engine);
  return {
    name: 'slo',
    engine,
    store,
    routes: sloRoutes(engine, store, () => ctx.clock.now(), directory),
    async start() {
      await engine.start();
      offs.push(
        events.subscribe('invalidate', (e) => {
          if (e.kind === 'slo') refresh(e.id);
          else if (e.kind === 'device') engine.deviceChanged(e.id);
        }),
        // Missed events: every stored definition, and every known one (deleted ones drop out).
        events.onResync(() => {
          void store.listSlos().then(
            (defs) =>
              new Set([...defs.map((d) => d.name), ...engine.list().map((d) => d.name)]).forEach(refresh),
            (err: unknown) => log.error({ err }, 'slo: resync failed'),
          );
        }),
      );
    },
    async stop() {
      for (const off of offs.splice(0)) off();
      await engine.stop();
    },
  };
}
