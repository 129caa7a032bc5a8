/**
 * The slo module: SLIs on critical machine communication counted into per-minute counters,
 * SLOs with error budgets and multiwindow burn-rate alerts, OpenSLO import/export (docs/slo.md).
 */
import type { DeviceDirectory } from '../core/index.js';
import { ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import { SloEngine } from './engine.js';
import { registerSloMetrics } from './metrics.js';
import { openSloStore } from './open-slo-store.js';
import { sloRoutes } from './routes.js';
import type { SloStore } from './slo-store.js';

export type { SloDefinition, Sli, SloWindow, AlertTier } from './types.js';
export type { SloStatus } from './budget.js';
export type { SloStore, AlertRecord, CounterRow } from './slo-store.js';
export { SloEngine } from './engine.js';
export { benchSlo } from './bench.js';

export interface SloModule extends PlatformModule {
  engine: SloEngine;
  store: SloStore;
}

export async function createSlo(ctx: ModuleContext, directory: DeviceDirectory): Promise<SloModule> {
  const store = await openSloStore(ctx.db);
  const engine = new SloEngine({
    store,
    bus: ctx.bus,
    clock: ctx.clock,
    directory,
    log: ctx.log.child({ component: 'slo' }),
    ownership: ownershipOf(ctx),
  });
  registerSloMetrics(ctx.metrics, engine);
  return {
    name: 'slo',
    engine,
    store,
    routes: sloRoutes(engine, store, () => ctx.clock.now()),
    start: () => engine.start(),
    stop: () => engine.stop(),
  };
}
