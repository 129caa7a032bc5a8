/**
 * The jobs module on a hand-built context for logic tests: in-memory SQLite, the in-memory broker
 * (`FakeBroker`: `inject` plays a device, `published` is what the platform sent), a manual clock and
 * an in-memory device directory. The module is also tested over the real platform with mqtt.js.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import {
  defaultConfig,
  EventBus,
  ManualClock,
  silentLogger,
  type DeviceDirectory,
  type DeviceInfo,
} from '../core/index.js';
import { type ModuleContext } from '../platform/index.js';
import { openSqlite, type Database } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import { createJobs, type JobsModule } from './index.js';

export class MemoryDirectory implements DeviceDirectory {
  readonly devices = new Map<string, DeviceInfo>();
  add(id: string, model: string | null = null, tags: string[] = []): void {
    this.devices.set(id, { id, model, name: id, tags, enabled: true, attributes: {} });
  }
  getDevice(id: string): Promise<DeviceInfo | undefined> {
    return Promise.resolve(this.devices.get(id));
  }
  getModel(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  async *listDevices(filter: { model?: string; tag?: string } = {}): AsyncIterable<DeviceInfo> {
    for (const d of this.devices.values()) {
      if (filter.model !== undefined && d.model !== filter.model) continue;
      if (filter.tag !== undefined && !d.tags.includes(filter.tag)) continue;
      yield d;
    }
  }
}

export interface Harness {
  jobs: JobsModule;
  broker: FakeBroker;
  clock: ManualClock;
  bus: EventBus;
  directory: MemoryDirectory;
  /** Send a device request; returns the answer published on …/accepted or …/rejected. */
  request(
    device: string,
    topic: string,
    body?: unknown,
  ): Promise<{ ok: boolean; body: Record<string, unknown> }>;
  /** Bodies the platform published on a topic so far. */
  sent(topic: string): Record<string, unknown>[];
  /** Advance the clock and run a scheduler pass. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** `db`: a shared database (two harnesses on one PostgreSQL schema are two nodes); default in-memory SQLite. */
export async function startHarness(
  devices: string[] = [],
  shared?: Database,
  opts: { artifactsDir?: string } = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobs-test-'));
  const db = shared ?? openSqlite(':memory:');
  const broker = new FakeBroker();
  const clock = new ManualClock();
  const bus = new EventBus();
  const directory = new MemoryDirectory();
  for (const d of devices) directory.add(d);
  const ctx: ModuleContext = {
    config: { ...defaultConfig(), dataDir, allowAnonymous: false, artifactsDir: opts.artifactsDir },
    db,
    bus,
    clock,
    log: silentLogger,
    broker,
    metrics: new Registry(),
  };
  // A pass every hour of manual time: tests run passes themselves.
  const jobs = await createJobs(ctx, directory, {
    intervalMs: 3_600_000,
    publicUrl: () => 'http://fleet.test',
  });
  await jobs.start!();
  const decode = (b: Buffer): Record<string, unknown> => JSON.parse(b.toString()) as Record<string, unknown>;
  return {
    jobs,
    broker,
    clock,
    bus,
    directory,
    async request(device, topic, body = {}) {
      const mark = broker.published.length;
      await broker.inject(device, topic, typeof body === 'string' ? body : JSON.stringify(body));
      const answer = broker.published
        .slice(mark)
        .find((m) => m.topic === `${topic}/accepted` || m.topic === `${topic}/rejected`);
      if (!answer) throw new Error(`no answer to ${topic}`);
      return { ok: answer.topic.endsWith('/accepted'), body: decode(answer.payload) };
    },
    sent: (topic) => broker.published.filter((m) => m.topic === topic).map((m) => decode(m.payload)),
    async advance(ms) {
      clock.advance(ms);
      await jobs.scheduler.pass();
      await jobs.idle();
    },
    async close() {
      await jobs.stop!();
      if (!shared) await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
