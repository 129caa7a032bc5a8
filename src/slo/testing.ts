/** Test harness for the slo module: an engine on SQLite in memory, a ManualClock and a bus recorder. */
import {
  type DeviceDirectory,
  type DeviceInfo,
  EventBus,
  ManualClock,
  type TsunaguEvents,
} from '../core/index.js';
import { openSqlite } from '../store/index.js';
import { MINUTE } from './budget.js';
import { parseSloDefinition, Reader } from './definition.js';
import { SloEngine } from './service.js';
import { openSloStore } from './open-slo-store.js';
import type { SloStore } from './slo-store.js';
import type { SloDefinition } from './types.js';

export function staticDirectory(devices: DeviceInfo[]): DeviceDirectory & { lookups: number } {
  const dir = {
    lookups: 0,
    getDevice(id: string) {
      dir.lookups++;
      return Promise.resolve(devices.find((d) => d.id === id));
    },
    peekDevice: (id: string) => devices.find((d) => d.id === id) ?? null,
    getModel: () => Promise.resolve(undefined),
    listDevices: async function* (filter?: { model?: string; tag?: string }) {
      for (const d of devices)
        if ((!filter?.model || d.model === filter.model) && (!filter?.tag || d.tags.includes(filter.tag)))
          yield d;
    },
  };
  return dir;
}

export function device(id: string, model: string | null, tags: string[] = []): DeviceInfo {
  return { id, model, name: id, tags, enabled: true, attributes: {} };
}

export function def(input: Record<string, unknown>): SloDefinition {
  return parseSloDefinition(input, '', new Reader(true));
}

export interface Harness {
  engine: SloEngine;
  store: SloStore;
  bus: EventBus;
  clock: ManualClock;
  alerts: TsunaguEvents['slo.alert'][];
  exhausted: TsunaguEvents['slo.budget-exhausted'][];
  /** current minute index */
  minute(): number;
  close(): Promise<void>;
  /** A second engine on the same store (restart). */
  restart(): Promise<Harness>;
}

export async function harness(
  opts: {
    start?: number;
    devices?: DeviceInfo[];
    seed?: (store: SloStore) => Promise<void>;
    defs?: SloDefinition[];
    /**
     * Engine evaluation delay. 0 here (tests that count per minute read alerts at the boundary);
     * tests of the delay itself and the reference property test use the production default.
     */
    evaluationDelayMs?: number;
  } = {},
): Promise<Harness> {
  const db = openSqlite(':memory:');
  const store = await openSloStore(db);
  for (const d of opts.defs ?? []) await store.putSlo(d, 0);
  if (opts.seed) await opts.seed(store);
  const clock = new ManualClock(opts.start ?? Date.UTC(2026, 0, 10));
  return build(db, store, clock, opts.devices ?? [], opts.evaluationDelayMs ?? 0);
}

async function build(
  db: ReturnType<typeof openSqlite>,
  store: SloStore,
  clock: ManualClock,
  devices: DeviceInfo[],
  evaluationDelayMs: number,
): Promise<Harness> {
  const bus = new EventBus();
  const alerts: TsunaguEvents['slo.alert'][] = [];
  const exhausted: TsunaguEvents['slo.budget-exhausted'][] = [];
  bus.on('slo.alert', (a) => alerts.push(a));
  bus.on('slo.budget-exhausted', (e) => exhausted.push(e));
  const engine = new SloEngine({
    store,
    bus,
    clock,
    directory: staticDirectory(devices),
    evaluationDelayMs,
  });
  await engine.start();
  let closed = false;
  return {
    engine,
    store,
    bus,
    clock,
    alerts,
    exhausted,
    minute: () => Math.floor(clock.now() / MINUTE),
    async close() {
      if (closed) return;
      closed = true;
      await engine.stop();
      await db.close();
    },
    async restart() {
      await engine.stop();
      closed = true;
      return build(db, store, clock, devices, evaluationDelayMs);
    },
  };
}

/** Steady traffic: `total` events per minute, `good` of them good, for minutes [from, to). */
export function steady(sloId: string, from: number, to: number, good: number, total: number) {
  return Array.from({ length: to - from }, (_, i) => ({ sloId, minute: from + i, good, total }));
}
