/**
 * Dashboards (docs/dashboards.md): fleet and per-model pages of widgets on a 12-column grid, kept
 * in the store, exported and imported as YAML, and a default dashboard generated from a model's
 * decoder fields. The console draws them; this module keeps and checks the definitions.
 */
import type { DeviceDirectory } from '../core/index.js';
import type { ModuleContext, PlatformModule } from '../platform/index.js';
import type { DashboardsStore } from './dashboards-store.js';
import { openDashboardsStore } from './open-dashboards-store.js';
import { dashboardsRoutes } from './routes.js';
import { DashboardsService, type DashboardsDeps } from './service.js';

export { DashboardsService, type Viewer, type DashboardsDeps } from './service.js';
export { DashboardErrors } from './errors.js';
export { validateDashboard } from './validate.js';
export { openDashboardsStore } from './open-dashboards-store.js';
export type { DashboardsStore } from './dashboards-store.js';
export type { ModelField, DecoderLike } from './model-fields.js';
export type { Dashboard, DashboardSpec, Widget, WidgetKind } from './types.js';

export interface DashboardsModule extends PlatformModule {
  service: DashboardsService;
  store: DashboardsStore;
}

/** What dashboards read from other modules (the app wires telemetry's decoders and latest values, and SLOs). */
export type DashboardsOptions = Pick<DashboardsDeps, 'decoder' | 'reportedKeys' | 'sloExists'>;

export async function createDashboards(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: DashboardsOptions = {},
): Promise<DashboardsModule> {
  const store = await openDashboardsStore(ctx.db);
  const service = new DashboardsService({ store, clock: ctx.clock, directory, ...opts });
  return {
    name: 'dashboards',
    service,
    store,
    routes: dashboardsRoutes(service),
    stop: async () => undefined,
  };
}
