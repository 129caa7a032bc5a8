/**
 * Telemetry: decoders (JSON, CSV telegrams, protobuf) → points, attributes and readable events →
 * batched into the time-series store (raw, minute and hour rollups, latest values, event log) →
 * queries over HTTP. Ingest from MQTT (`devices/+/telemetry|events|heartbeat`), the raw TCP
 * telegram listener, and `POST /api/v1/devices/{id}/telemetry`.
 */
import {
  DEVICE_MESSAGE_TOPICS,
  deviceIdOfTopic,
  type DeviceDirectory,
  type LastSeenReader,
} from '../core/index.js';
import { clusterEventsOf, ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import type { BrokerMessage } from '../mqtt/index.js';
import { DecoderCache } from './decoder-cache.js';
import { decoderRoutes } from './decoder-routes.js';
import { DecoderService } from './decoder-service.js';
import { DEFAULT_QUEUE, IngestQueue, type QueueOptions } from './ingest-queue.js';
import { TelemetryIngest, type IncomingMessage, type IngestResult, type MessageKind } from './service.js';
import { createTelemetryMetrics } from './metrics.js';
import { openTelemetryStore } from './open-telemetry-store.js';
import {
  DEFAULT_RETENTION,
  RETENTION_SHARD_KEY,
  RetentionWorker,
  type RetentionPolicy,
} from './retention.js';
import { dataRoutes } from './routes.js';
import { positionsRoute, type PositionState } from './positions-route.js';
import type { TelemetryStore } from './telemetry-store.js';
import { TelegramListener } from './telegram-listener.js';
import { PlatformWrites, type DecodedView, type EventEntry } from './platform-writes.js';
import type { BenchIngestOptions, BenchIngestResult } from './bench.js';

export type { TelemetryStore } from './telemetry-store.js';
export type { DecoderDefinition, Point, DeviceEvent } from './types.js';
export type { IncomingMessage, IngestResult } from './service.js';
export type { DecodedView, EventEntry } from './platform-writes.js';
export type { PositionState, Positions } from './positions-route.js';
export { RETENTION_SHARD_KEY, type RetentionPolicy } from './retention.js';
export { compileDecoder, validateDefinition } from './decoders/index.js';
export { parseDecodersYaml, toDecodersYaml } from './decoder-yaml.js';
export { crc16Ccitt } from './decoders/index.js';
export type { BenchIngestOptions, BenchIngestResult, MqttIngestBenchResult } from './bench.js';

/** `tsunagu bench ingest` without its end-to-end MQTT row (src/bench/ adds it), loaded on demand. */
export async function benchIngest(opts: BenchIngestOptions = {}): Promise<BenchIngestResult> {
  return (await import('./bench.js')).benchIngest(opts);
}

export interface TelemetryOptions {
  /**
   * Checks a telegram connection's `HELLO <deviceId> <secret>`. The lead wires the registry's
   * credential check here; without it HELLO is refused (see docs/telemetry.md).
   */
  verifyDeviceSecret?: (deviceId: string, secret: string) => Promise<boolean>;
  /** Position of the device id in a telegram, for anonymous telegram connections (needs allowAnonymous). */
  telegramDeviceIdField?: number;
  telegramDelimiter?: string;
  /** Longest telegram line in bytes; longer lines are dropped as decode_error (default 4096). */
  maxTelegramBytes?: number;
  telegramIdleTimeoutMs?: number;
  retention?: Partial<RetentionPolicy>;
  retentionIntervalMs?: number;
  retentionChunk?: number;
  queue?: Partial<QueueOptions>;
  /**
   * A device's state on the map (`GET /fleet/positions`): app.ts wires health's out-of-service set
   * and the registry's presence; without it every position is `ok`.
   */
  positionState?: (deviceId: string) => PositionState;
  /**
   * Presence's last-seen (app.ts wires the registry's reader): the latest message and its kind in
   * `GET /devices/{id}/telemetry/latest`. Telemetry keeps no copy of its own.
   */
  lastSeen?: LastSeenReader;
}

export interface TelemetryModule extends PlatformModule {
  readonly store: TelemetryStore;
  readonly decoders: DecoderService;
  readonly retention: RetentionWorker;
  /** Feed one message (any transport) through decoding into the queue. */
  ingest(msg: IncomingMessage): Promise<IngestResult>;
  /** Write everything queued now. */
  flush(): Promise<void>;
  /** A device message through its model's decoder, not stored (rules' `decoded()`). */
  decode(
    deviceId: string,
    origin: { transport: 'mqtt' | 'telegram' | 'http'; topic: string },
    payload: Buffer,
  ): Promise<DecodedView | { error: string }>;
  /** A JSON object's values as points/attributes of a device (rules' telemetry action); durable on resolve. */
  writeValues(deviceId: string, json: Buffer): Promise<{ points: number }>;
  /** Entries in devices' event logs (not device messages: no bus event, presence's last-seen untouched). */
  logEvents(events: EventEntry[]): Promise<void>;
}

export async function createTelemetry(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  options: TelemetryOptions = {},
): Promise<TelemetryModule> {
  const log = ctx.log.child({ component: 'telemetry' });
  const ownership = ownershipOf(ctx);
  const clusterEvents = clusterEventsOf(ctx);
  const store = await openTelemetryStore(ctx.db);
  let queueSize = (): number => 0;
  const metrics = createTelemetryMetrics(ctx.metrics, () => queueSize());
  const queue = new IngestQueue(
    (b) => {
      const done = metrics.batchSeconds.startTimer();
      return store.write(b).finally(() => done());
    },
    { ...DEFAULT_QUEUE, ...options.queue },
    (err, attempt) => {
      metrics.storeErrors.inc();
      log.error({ err, attempt }, 'telemetry batch write failed');
    },
    (b) => {
      metrics.pointsWritten.inc(b.points.length);
      metrics.eventsWritten.inc(b.events.length);
    },
  );
  queueSize = () => queue.size;
  const cache = new DecoderCache(store, directory, ctx.clock);
  const ingest = new TelemetryIngest(cache, queue, ctx.bus, ctx.clock, metrics);
  const writes = new PlatformWrites(cache, queue, ctx.clock);
  // A decoder changed on one node: every node drops its compiled copy (cluster events).
  const decoders = new DecoderService(store, cache, ctx.clock, (id) =>
    clusterEvents.publish('invalidate', { kind: 'decoder', id }),
  );
  const retention = new RetentionWorker(
    store,
    ctx.clock,
    {
      policy: { ...DEFAULT_RETENTION, ...options.retention },
      chunk: options.retentionChunk ?? 5000,
      intervalMs: options.retentionIntervalMs ?? 60_000,
      owns: () => ownership.owns(RETENTION_SHARD_KEY),
    },
    (table, n) => metrics.retentionDeleted.inc({ table }, n),
    (err) => log.error({ err }, 'telemetry retention sweep failed'),
  );
  let telegrams: TelegramListener | undefined;
  const unsubscribe: (() => void)[] = [];
  let lastDropLog = 0;

  const onMqtt =
    (kind: MessageKind) =>
    async (m: BrokerMessage): Promise<void> => {
      const deviceId = deviceIdOfTopic(m.topic);
      if (m.qos === 0 && queue.isFull()) {
        // QoS 0 has no acknowledgement to hold back: the excess is refused, counted and logged, never silent.
        metrics.dropped.inc({ transport: 'mqtt', reason: 'queue_full' });
        if (ctx.clock.now() - lastDropLog > 10_000) {
          lastDropLog = ctx.clock.now();
          log.warn({ queue: queue.size }, 'telemetry queue over its hard limit: dropping QoS 0 messages');
        }
        return;
      }
      const r = await ingest.accept({
        deviceId,
        kind,
        transport: 'mqtt',
        topic: m.topic,
        payload: m.payload,
      });
      await r.persisted; // a QoS 1 PUBACK waits until the message is durable
    };

  return {
    name: 'telemetry',
    store,
    decoders,
    retention,
    ingest: (msg) => ingest.accept(msg),
    flush: () => queue.flush(),
    decode: (id, origin, payload) => writes.decode(id, origin, payload),
    writeValues: (id, json) => writes.writeValues(id, json),
    logEvents: (events) => writes.logEvents(events),
    routes(api) {
      decoderRoutes(api, decoders, ctx.bus, ctx.clock);
      dataRoutes(api, { store, ingest, queue, directory, clock: ctx.clock, lastSeen: options.lastSeen });
      positionsRoute(api, { store, directory, positionState: options.positionState });
    },
    async start() {
      unsubscribe.push(ctx.bus.on('device.changed', (e) => cache.invalidateDevice(e.deviceId)));
      unsubscribe.push(
        clusterEvents.subscribe('invalidate', (e) => {
          if (e.kind === 'decoder') cache.invalidateDecoder(e.id);
          else if (e.kind === 'device') cache.invalidateDevice(e.id);
          else if (e.kind === 'model') cache.invalidateModel(e.id);
        }),
        clusterEvents.onResync(() => cache.clear()),
      );
      for (const { filter, kind } of DEVICE_MESSAGE_TOPICS)
        unsubscribe.push(ctx.broker.subscribe(filter, onMqtt(kind)));
      retention.start();
    },
    async listen(host): Promise<Record<string, number>> {
      if (ctx.config.telegramPort < 0) return {};
      telegrams = new TelegramListener({
        ingest,
        queue,
        log,
        verifyDeviceSecret: options.verifyDeviceSecret,
        allowAnonymous: ctx.config.allowAnonymous,
        deviceIdField: options.telegramDeviceIdField,
        delimiter: options.telegramDelimiter ?? ',',
        maxLineBytes: options.maxTelegramBytes ?? 4096,
        idleTimeoutMs: options.telegramIdleTimeoutMs ?? 10 * 60_000,
      });
      return { telegram: await telegrams.listen(host, ctx.config.telegramPort) };
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await telegrams?.close();
      await retention.stop();
      await queue.stop();
      await store.flushRollups();
    },
  };
}
