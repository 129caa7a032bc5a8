/**
 * A registry-only platform for tests and the benchmark: the real broker (TCP on a free port), the
 * real HTTP server with the /api/v1 scope and this registry, wired the way app.ts wires them, but
 * without the other modules (so registry tests do not depend on theirs).
 */
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Registry as Metrics } from 'prom-client';
import {
  type Clock,
  defaultConfig,
  EventBus,
  silentLogger,
  systemClock,
  type TsunaguConfig,
} from '../core/index.js';
import { wireConnectivityEvents, type ModuleContext } from '../platform/index.js';
import { createHttpServer, registerApi } from '../http/index.js';
import { createBroker, listenTcp, type Broker } from '../mqtt/index.js';
import { openSqlite, type Database } from '../store/index.js';
import { createAuth } from '../auth/index.js';
import { createRegistry, type RegistryModule, type RegistryOptions } from './index.js';

export const HARNESS_ADMIN_TOKEN = 'registry-test-admin-token-0123456789';

export interface RegistryHarness {
  registry: RegistryModule;
  broker: Broker;
  bus: EventBus;
  http: FastifyInstance;
  clock: Clock;
  db: Database;
  mqttUrl: string;
  mqttPort: number;
  auth: { authorization: string };
  close(): Promise<void>;
}

export async function startRegistryHarness(
  opts: {
    clock?: Clock;
    config?: Partial<TsunaguConfig>;
    registry?: RegistryOptions;
    db?: Database;
  } = {},
): Promise<RegistryHarness> {
  const clock = opts.clock ?? systemClock;
  const config: TsunaguConfig = { ...defaultConfig(), adminToken: HARNESS_ADMIN_TOKEN, ...opts.config };
  const db = opts.db ?? openSqlite(':memory:');
  const bus = new EventBus(silentLogger);
  const metrics = new Metrics();
  const broker = createBroker({
    db,
    clock,
    log: silentLogger,
    limits: config.limits,
    allowAnonymous: config.allowAnonymous,
    nodeId: 'test',
  });
  const ctx: ModuleContext = { config, db, bus, clock, log: silentLogger, broker, metrics };
  const registry = await createRegistry(ctx, opts.registry);
  broker.setHooks(registry.brokerHooks);
  wireConnectivityEvents(broker, bus, clock);
  // API tokens (and the /tokens routes) live in auth/.
  const auth = await createAuth(ctx, registry.directory, { announce: () => undefined });
  const http = createHttpServer({ log: silentLogger, metrics, tokens: auth.tokens, ready: () => true });
  await registerApi(http, auth.access, [...(registry.routes ? [registry.routes] : []), auth.routes!]);
  await http.ready();
  await broker.start();
  await registry.start?.();
  const server: NetServer = await listenTcp(broker, '127.0.0.1', 0);
  const port = (server.address() as AddressInfo).port;
  return {
    registry,
    broker,
    bus,
    http,
    clock,
    db,
    mqttPort: port,
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    auth: { authorization: `Bearer ${HARNESS_ADMIN_TOKEN}` },
    async close() {
      server.close();
      await broker.close();
      await registry.stop?.();
      await http.close();
      if (!opts.db) await db.close();
    },
  };
}
