/** The engine's state per SLO and its limits (service.ts). */
import type { SloStatus } from './budget.js';
import type { MinuteSeries } from './series.js';
import type { AlertRecord } from './slo-store.js';
import type { SloDefinition } from './types.js';

export interface Entry {
  def: SloDefinition;
  series: MinuteSeries;
  firing: Map<string, AlertRecord>;
  /** Minute (window end) since which a tier's condition holds, while it waits out `alertAfter`. */
  holding: Map<string, number>;
  /** Alert state possibly out of date: not owned since it was read; reloaded when the shard is gained. */
  stale?: boolean;
  exhausted: boolean;
  status?: SloStatus;
}

/** Counts dated further ahead than this are kept in memory only up to it (telemetry accepts 24 h). */
export const FUTURE_MINUTES = 25 * 60;
/** Closed minutes evaluated one by one after a stall (timer late, process suspended); older ones are skipped. */
export const MAX_CATCH_UP = 60;
