/**
 * The public face of `src/platform`: the module contract every platform module is built against —
 * what `app.ts` hands each module at wiring time (`ModuleContext`: config, database, bus, clock,
 * logger, broker API, metrics, scale-out seams) and what a module gives back (`PlatformModule`:
 * routes and lifecycle). It sits above `core/`, `store/` and `mqtt/` (it names their types) and
 * below every business module, so none of those three has to know about modules.
 */
export type { ModuleContext, PlatformModule } from './module.js';
export { ownershipOf, clusterEventsOf } from './module.js';
export { wireConnectivityEvents } from './broker-events.js';
