/**
 * A broker listening on loopback plus the rules module on a real database, for tests that drive
 * rules with real MQTT clients and real peers. Fast backoff so retries happen within a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Server } from 'node:net';
import { Registry } from 'prom-client';
import {
  DEFAULT_LIMITS as BROKER_LIMITS,
  defaultConfig,
  EventBus,
  silentLogger,
  systemClock,
} from '../core/index.js';
import type { DeviceDirectory, DeviceInfo } from '../core/index.js';
import type { ModuleContext } from '../platform/index.js';
import { createBroker, listenTcp, type Broker } from '../mqtt/index.js';
import { openSqlite, type Database } from '../store/index.js';
import { createRules, type RulesModule, type RulesOptions } from './index.js';

export interface RulesHarness {
  broker: Broker;
  bus: EventBus;
  rules: RulesModule;
  metrics: Registry;
  mqttUrl: string;
  db: Database;
  /** Stop the rules module and start a new one on the same database (a restart). */
  restart(opts?: RulesOptions): Promise<void>;
  close(): Promise<void>;
}

export const directoryOf = (devices: DeviceInfo[]): DeviceDirectory => ({
  getDevice: (id) => Promise.resolve(devices.find((d) => d.id === id)),
  getModel: () => Promise.resolve(undefined),
  async *listDevices() {
    for (const d of devices) yield await Promise.resolve(d);
  },
});

export const FAST: RulesOptions = { backoff: { baseMs: 20, maxMs: 100 }, random: () => 0.5, sweepMs: 200 };

export async function startRulesHarness(
  opts: RulesOptions = {},
  devices: DeviceInfo[] = [],
  db?: Database,
): Promise<RulesHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-rules-'));
  const database = db ?? openSqlite(join(dir, 'rules.db'));
  const bus = new EventBus(silentLogger);
  const broker = createBroker({
    db: openSqlite(':memory:'),
    clock: systemClock,
    log: silentLogger,
    limits: { ...BROKER_LIMITS },
    allowAnonymous: true,
    nodeId: 'test',
    sysIntervalMs: 0,
  });
  await broker.start();
  const server: Server = await listenTcp(broker, '127.0.0.1', 0);
  const metrics = new Registry();
  const ctx: ModuleContext = {
    config: { ...defaultConfig(), dataDir: dir },
    db: database,
    bus,
    clock: systemClock,
    log: silentLogger,
    broker,
    metrics,
  };
  const directory = directoryOf(devices);
  let rules = await createRules(ctx, directory, { ...FAST, ...opts });
  await rules.start!();
  const h: RulesHarness = {
    broker,
    bus,
    rules,
    metrics,
    db: database,
    mqttUrl: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async restart(next) {
      await rules.stop!();
      ctx.metrics = new Registry();
      rules = await createRules(ctx, directory, { ...FAST, ...(next ?? opts) });
      await rules.start!();
      h.rules = rules;
    },
    async close() {
      await h.rules.stop!();
      server.close();
      await broker.close();
      if (!db) await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export const system = { kind: 'system' as const, id: 'test' };
