/** Fixtures for the commands unit tests: FakeBroker, ManualClock, in-memory SQLite. */
import {
  type DeviceDirectory,
  EventBus,
  ManualClock,
  silentLogger,
  type TsunaguEvents,
} from '../core/index.js';
import { openSqlite, type SqliteDatabase } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import type { ClientInfo } from '../mqtt/index.js';
import { createCommandStore } from './index.js';
import { CommandService, type ReadReported } from './service.js';
import type { CommandStore } from './commands-store.js';

export const directory: DeviceDirectory = {
  getDevice: (id) =>
    Promise.resolve(
      id.startsWith('missing')
        ? undefined
        : { id, model: 'scooter', name: id, tags: [], enabled: true, attributes: {} },
    ),
  getModel: (name) => Promise.resolve({ name, attributes: {} }),
  listDevices: async function* () {},
};

export interface CommandHarness {
  broker: FakeBroker;
  clock: ManualClock;
  bus: EventBus;
  db: SqliteDatabase;
  store: CommandStore;
  service: CommandService;
  finished: TsunaguEvents['command.finished'][];
  connect(id: string, protocolVersion?: 3 | 4 | 5): void;
  /** A fresh service on the same store, clock and broker (a restart). */
  restart(): Promise<CommandService>;
  close(): Promise<void>;
}

export async function commandHarness(readReported?: ReadReported): Promise<CommandHarness> {
  const broker = new FakeBroker();
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const bus = new EventBus(silentLogger);
  const db = openSqlite(':memory:');
  const store = await createCommandStore({ db });
  const make = (): CommandService =>
    new CommandService({
      store,
      broker,
      bus,
      clock,
      log: silentLogger,
      directory,
      ...(readReported ? { readReported } : {}),
    });
  let service = make();
  await service.start();
  const finished: TsunaguEvents['command.finished'][] = [];
  bus.on('command.finished', (e) => finished.push(e));
  const h: CommandHarness = {
    broker,
    clock,
    bus,
    db,
    store,
    service,
    finished,
    connect(id, protocolVersion = 4) {
      const info: ClientInfo = {
        clientId: id,
        remoteAddress: '127.0.0.1',
        protocolVersion,
        keepalive: 60,
        cleanStart: true,
        transport: 'tcp',
      };
      broker.connected.set(id, info);
      bus.emit('device.connected', {
        deviceId: id,
        at: clock.now(),
        remoteAddress: '127.0.0.1',
        protocolVersion,
        keepalive: 60,
        cleanStart: true,
      });
      clock.advance(500); // queued commands go out DEFAULT_CONNECT_DELAY_MS after the connect
    },
    async restart() {
      await service.stop();
      service = make();
      h.service = service;
      await service.start();
      return service;
    },
    async close() {
      await service.stop();
      await db.close();
    },
  };
  return h;
}

/** Let queued promise callbacks (store writes, publishes) run. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
