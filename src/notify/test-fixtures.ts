/** Shared pieces for notify tests: a module context on SQLite and a real local HTTP endpoint. */
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Registry } from 'prom-client';
import {
  type Clock,
  defaultConfig,
  type DeviceDirectory,
  type DeviceInfo,
  EventBus,
  silentLogger,
} from '../core/index.js';
import type { ModuleContext } from '../platform/index.js';
import type { SqliteDatabase } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';

export function testContext(db: SqliteDatabase, clock: Clock): ModuleContext {
  // The database file's directory is the data directory, as in a deployment: the key that seals
  // channel secrets lives beside the database, so a reopened database reads its channels back.
  const file = db.db.name;
  const dataDir = isAbsolute(file) ? dirname(file) : mkdtempSync(join(tmpdir(), 'tsunagu-notify-'));
  return {
    config: { ...defaultConfig(), dataDir },
    db,
    bus: new EventBus(silentLogger),
    clock,
    log: silentLogger,
    broker: new FakeBroker(),
    metrics: new Registry(),
  };
}

export function directoryOf(devices: Record<string, { model: string; tags?: string[] }>): DeviceDirectory {
  const info = (id: string): DeviceInfo | undefined => {
    const d = devices[id];
    return d
      ? { id, model: d.model, name: id, tags: d.tags ?? [], enabled: true, attributes: {} }
      : undefined;
  };
  return {
    getDevice: async (id) => info(id),
    getModel: async () => undefined,
    listDevices: async function* () {
      for (const id of Object.keys(devices)) yield info(id)!;
    },
  };
}

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  status: number;
}

export interface Endpoint {
  url: string;
  received: Received[];
  /** Decide the status for the n-th request (0-based); return 'hang' to never answer. */
  respond: (n: number, body: string) => number | 'hang';
  close(): Promise<void>;
}

export async function startEndpoint(respond: Endpoint['respond']): Promise<Endpoint> {
  const received: Received[] = [];
  const ep: Endpoint = { url: '', received, respond, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const status = ep.respond(received.length, raw);
      received.push({ headers: req.headers, raw, status: status === 'hang' ? 0 : status });
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ep.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  ep.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return ep;
}
