// PLACEHOLDER — the broker is being written; this file only fixes the public signatures.
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { BrokerLimits } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../store/database.js';
import type { Broker } from './api.js';

export type * from './api.js';

export interface BrokerOptions {
  db: Database;
  clock: Clock;
  log: Logger;
  limits: BrokerLimits;
  allowAnonymous: boolean;
  nodeId: string;
}

export function createBroker(_opts: BrokerOptions): Broker {
  throw new Error('broker not implemented yet');
}

export function listenTcp(_broker: Broker, _host: string, _port: number): Promise<NetServer> {
  throw new Error('not implemented');
}

export function listenTls(
  _broker: Broker,
  _host: string,
  _port: number,
  _tls: { cert: Buffer; key: Buffer; ca?: Buffer },
): Promise<NetServer> {
  throw new Error('not implemented');
}

/** Serve MQTT over WebSocket (subprotocol "mqtt") at `path` on an existing HTTP server. */
export function attachWebSocket(_broker: Broker, _server: HttpServer, _path: string): void {
  throw new Error('not implemented');
}
