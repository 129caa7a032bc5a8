/**
 * What every platform module receives at wiring time, and what it gives back. `app.ts` builds the
 * context once and calls each module's `create…` function in dependency order.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { BrokerApi } from '../mqtt/api.js';
import type { Database } from '../store/database.js';
import type { Clock } from './clock.js';
import type { TsunaguConfig } from './config.js';
import type { EventBus } from './events.js';
import type { Logger } from './logger.js';

export interface ModuleContext {
  config: TsunaguConfig;
  db: Database;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  broker: BrokerApi;
  /** Prometheus registry served at /metrics. */
  metrics: Registry;
}

export interface PlatformModule {
  readonly name: string;
  /** Routes registered inside the authenticated `/api/v1` scope. */
  routes?: (api: FastifyInstance) => void | Promise<void>;
  /** Start timers and background work (after migrations, before listeners accept traffic). */
  start?(): Promise<void>;
  /**
   * Open this module's own listeners (e.g. the raw TCP telegram port), called by `App.listen()` after
   * MQTT and HTTP. Return the bound ports by name (port 0 means "any free port"). Throw
   * `PortInUseError` (from app.ts's `onPort` semantics: port, what, flag) when a port is taken.
   */
  listen?(host: string): Promise<Record<string, number>>;
  /**
   * Every listener is open (called by `App.listen()` after MQTT, HTTP and modules' own listeners):
   * devices can reach the platform from now on. Health starts judging heartbeat deadlines here.
   */
  listening?(): Promise<void> | void;
  /** Shutdown begins, before any listener closes: devices can no longer reach the platform. */
  closing?(): Promise<void> | void;
  /** Stop timers, flush what is buffered. Called in reverse order at shutdown. */
  stop?(): Promise<void>;
}
