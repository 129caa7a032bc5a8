/**
 * `tsunagu bench ingest` (wired by the CLI): decoder throughput per decoder type, points per second
 * persisted through the store (SQLite, and PostgreSQL when a URL is given), raw-index layout
 * (time-first vs device-first) for a round-robin fleet, and range-query latency over 30 days of
 * minute rollups. Figures are printed beside each other from one process, never asserted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import protobuf from 'protobufjs';
import { openPostgres, openSqlite, sqliteTransaction, type Database } from '../store/index.js';
import { compileDecoder, crc16Ccitt } from './decoders/index.js';
import { parseDecodersYaml } from './decoder-yaml.js';
import { openTelemetryStore } from './open-telemetry-store.js';
import { HOUR, MINUTE } from './rollup.js';
import type { WriteBatch } from './telemetry-store.js';
import type { Decoder, Point } from './types.js';

/** The end-to-end MQTT row (src/bench/ingest-mqtt.ts, which needs the whole app). */
export interface MqttIngestBenchResult {
  devices: number;
  telegrams: number;
  telegramsPerSec: number;
  pointsPerSec: number;
  cpuTelegramsPerSec: number;
}

export interface BenchIngestOptions {
  /** Seconds per measurement (default 2). */
  seconds?: number;
  /** A postgres:// URL to also measure PostgreSQL (a temporary schema is created and dropped). */
  postgres?: string;
  devices?: number;
  metricsPerDevice?: number;
  batchPoints?: number;
  /** Total points written per store measurement (default 1,000,000 for SQLite, 300,000 for PostgreSQL). */
  points?: number;
  /** Devices for the end-to-end MQTT run (default 100; 0 skips it). */
  mqttDevices?: number;
  /** QoS 1 telegrams each MQTT device publishes (default 100). */
  mqttTelegramsPerDevice?: number;
  /**
   * Runs the end-to-end MQTT row. It needs the whole app, so `tsunagu bench ingest` (src/bench/)
   * passes it in; without it the row is skipped.
   */
  mqttIngest?: (devices: number, perDevice: number) => Promise<MqttIngestBenchResult>;
  print?: (line: string) => void;
}

export interface BenchIngestResult {
  /** Messages per second: wall clock, and per CPU-second of this process. */
  decoders: Record<string, { wall: number; cpu: number }>;
  /** Points per second persisted (wall), and per CPU-second of this process (SQLite does its work in-process; PostgreSQL's server time is not counted). */
  store: Record<string, { wall: number; cpu: number }>;
  layout: Record<string, { insertPerSec: number; insertPerCpuSec: number; queryMs: number }>;
  rangeQuery: Record<string, { medianMs: number; p95Ms: number; buckets: number }>;
  mqtt?: MqttIngestBenchResult;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Work per CPU-second of this process: on a shared, loaded machine wall-clock rates mostly measure the neighbours. */
const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

function rate(decoder: Decoder, payloads: Buffer[], seconds: number): { wall: number; cpu: number } {
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = now();
  const end = start + seconds * 1000;
  while (now() < end) {
    for (let i = 0; i < 1000; i++) {
      const r = decoder.decode(payloads[n % payloads.length]!);
      if (!r.ok) throw new Error(`bench payload does not decode: ${r.reason}`);
      n++;
    }
  }
  return { wall: n / ((now() - start) / 1000), cpu: n / cpuSeconds(cpu0) };
}

function decoderRates(seconds: number): BenchIngestResult['decoders'] {
  const yaml = readFileSync(new URL('./fixtures/scooter-telegram.yaml', import.meta.url), 'utf8');
  const csv = compileDecoder(parseDecodersYaml(yaml)[0]);
  const telegrams = Array.from({ length: 100 }, (_, i) => {
    const body = `2,${(i % 25) + 0.5},1,3.2,35.68${i},139.76${i},40.0,270.5,${(i % 16).toString(16).padStart(4, '0')},0010,16B0,02092053,30&${i % 100},4,55,1,52000,4100,70,0,0,1,,1.5&-0.25&2,97`;
    return Buffer.from(`${body},${crc16Ccitt(Buffer.from(body)).toString(16).padStart(4, '0')}`);
  });
  const json = compileDecoder({
    id: 'bench-json',
    type: 'json',
    spec: {
      timestamp: { path: 'ts' },
      metrics: [
        { path: 'temps[0]', name: 'flow' },
        { path: 'temps[1]', name: 'return' },
        { path: 'pressure' },
        { path: 'burner.on', name: 'burner' },
        { path: 'co2' },
        { path: 'battery.soc', name: 'soc' },
      ],
      events: [{ path: 'fault', codes: { F28: { code: 'IGNITION', severity: 'error' } } }],
    },
  });
  const jsonPayloads = Array.from({ length: 100 }, (_, i) =>
    Buffer.from(
      JSON.stringify({
        ts: 1767225600 + i,
        temps: [655, 402],
        pressure: 1.4,
        burner: { on: i % 2 === 0 },
        co2: 800 + i,
        battery: { soc: i },
        fault: '',
      }),
    ),
  );
  const proto =
    'syntax = "proto3"; message R { int64 ts = 1; double flow = 2; double ret = 3; double pressure = 4; bool burner = 5; uint32 co2 = 6; uint32 soc = 7; }';
  const pb = compileDecoder({
    id: 'bench-pb',
    type: 'protobuf',
    spec: {
      proto,
      messageType: 'R',
      timestamp: { path: 'ts' },
      metrics: ['flow', 'ret', 'pressure', 'burner', 'co2', 'soc'].map((path) => ({ path })),
    },
  });
  const R = protobuf.parse(proto, { keepCase: true }).root.lookupType('R');
  const pbPayloads = Array.from({ length: 100 }, (_, i) =>
    Buffer.from(
      R.encode(
        R.fromObject({
          ts: 1767225600 + i,
          flow: 65.5,
          ret: 40.2,
          pressure: 1.4,
          burner: true,
          co2: 800 + i,
          soc: i,
        }),
      ).finish(),
    ),
  );
  return {
    'csv telegram (scooter, 26 fields, CRC)': rate(csv, telegrams, seconds),
    'json (6 metrics, 1 event path)': rate(json, jsonPayloads, seconds),
    'protobuf (7 fields)': rate(pb, pbPayloads, seconds),
  };
}

/** A round-robin fleet: every device reports every metric each round (one round = 1 s of device time). */
function* fleetBatches(
  devices: number,
  metrics: number,
  batchPoints: number,
  total: number,
): Generator<WriteBatch> {
  const t0 = Date.UTC(2026, 0, 1);
  let points: Point[] = [];
  let n = 0;
  for (let round = 0; n < total; round++)
    for (let d = 0; d < devices && n < total; d++)
      for (let m = 0; m < metrics && n < total; m++, n++) {
        points.push({
          deviceId: `dev-${d}`,
          metric: `m${m}`,
          ts: t0 + round * 1000,
          value: (round * 7 + d + m) % 1000,
        });
        if (points.length === batchPoints) {
          yield { points, events: [], attributes: [] };
          points = [];
        }
      }
  if (points.length > 0) yield { points, events: [], attributes: [] };
}

async function storeRate(
  db: Database,
  o: Required<Pick<BenchIngestOptions, 'devices' | 'metricsPerDevice' | 'batchPoints'>>,
  total: number,
): Promise<{ wall: number; cpu: number }> {
  const store = await openTelemetryStore(db);
  const cpu0 = process.cpuUsage();
  const start = now();
  for (const b of fleetBatches(o.devices, o.metricsPerDevice, o.batchPoints, total)) await store.write(b);
  // SQLite holds rollups and latest values in memory across batches: their final flush is part of the cost.
  await store.flushRollups();
  return { wall: total / ((now() - start) / 1000), cpu: total / cpuSeconds(cpu0) };
}

/** Raw-table key order for a round-robin fleet: insert rate, and one device's hour of raw points. */
function layoutCompare(
  dir: string,
  devices: number,
  metrics: number,
  total: number,
): BenchIngestResult['layout'] {
  const out: BenchIngestResult['layout'] = {};
  for (const [name, pk] of [
    ['time-first (ts, device, metric)', 'ts, device_id, metric'],
    ['device-first (device, metric, ts)', 'device_id, metric, ts'],
  ] as const) {
    const db = new BetterSqlite3(join(dir, `layout-${pk.split(',')[0]}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(
      `CREATE TABLE p (ts INTEGER NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (${pk})) WITHOUT ROWID`,
    );
    const ins = db.prepare('INSERT INTO p VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    const tx = sqliteTransaction(db, (b: WriteBatch) => {
      for (const p of b.points) ins.run(p.ts, p.deviceId, p.metric, p.value);
    });
    const cpu0 = process.cpuUsage();
    const start = now();
    for (const b of fleetBatches(devices, metrics, 5000, total)) tx(b);
    const insertPerSec = total / ((now() - start) / 1000);
    const insertPerCpuSec = total / cpuSeconds(cpu0);
    const q = db.prepare(
      'SELECT ts, value FROM p WHERE device_id = ? AND metric = ? AND ts >= ? AND ts < ? ORDER BY ts',
    );
    const t0 = Date.UTC(2026, 0, 1);
    const rounds = Math.floor(total / (devices * metrics));
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = now();
      q.all(`dev-${i % devices}`, 'm0', t0, t0 + Math.min(rounds, 3600) * 1000);
      times.push(now() - s);
    }
    times.sort((a, b) => a - b);
    out[name] = { insertPerSec, insertPerCpuSec, queryMs: times[10]! };
    db.close();
  }
  return out;
}

async function rangeQuery(db: Database, devices: number): Promise<BenchIngestResult['rangeQuery']> {
  const store = await openTelemetryStore(db);
  const t0 = Date.UTC(2026, 0, 1);
  const minutes = 30 * 24 * 60;
  // 30 days of one metric's minute rollups for each device (written as rollup rows via one point per minute).
  for (let d = 0; d < devices; d++)
    for (let m = 0; m < minutes; m += 10_000) {
      const points: Point[] = [];
      for (let k = m; k < Math.min(minutes, m + 10_000); k++)
        points.push({
          deviceId: `dev-${d}`,
          metric: 'temp',
          ts: t0 + k * MINUTE,
          value: 20 + Math.sin(k / 100),
        });
      await store.write({ points, events: [], attributes: [] });
    }
  const out: BenchIngestResult['rangeQuery'] = {};
  for (const [name, bucketMs, source, agg] of [
    ['30 d by 1 h from minute rollups, avg', HOUR, 'minute', 'avg'],
    ['30 d by 1 h from minute rollups, last', HOUR, 'minute', 'last'],
    ['30 d by 1 h from hour rollups, avg', HOUR, 'hour', 'avg'],
    ['30 d by 1 min from minute rollups, avg', MINUTE, 'minute', 'avg'],
  ] as const) {
    const times: number[] = [];
    let buckets = 0;
    for (let i = 0; i < 30; i++) {
      const s = now();
      buckets = (
        await store.queryBuckets({
          deviceId: `dev-${i % devices}`,
          metric: 'temp',
          from: t0,
          to: t0 + minutes * MINUTE,
          bucketMs,
          agg,
          source,
        })
      ).length;
      times.push(now() - s);
    }
    times.sort((a, b) => a - b);
    out[name] = { medianMs: times[15]!, p95Ms: times[28]!, buckets };
  }
  return out;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export async function benchIngest(opts: BenchIngestOptions = {}): Promise<BenchIngestResult> {
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const seconds = opts.seconds ?? 2;
  const shape = {
    devices: opts.devices ?? 2000,
    metricsPerDevice: opts.metricsPerDevice ?? 10,
    batchPoints: opts.batchPoints ?? 5000,
  };
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-'));
  const result: BenchIngestResult = { decoders: {}, store: {}, layout: {}, rangeQuery: {} };
  try {
    print(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores; rates per wall second and per CPU-second of this process`,
    );
    print(`decoders (messages/s, one core, ${seconds} s each):                 wall        per CPU-s`);
    result.decoders = decoderRates(seconds);
    for (const [k, v] of Object.entries(result.decoders))
      print(`  ${k.padEnd(52)} ${fmt(v.wall).padStart(10)} ${fmt(v.cpu).padStart(12)}`);

    const sqlitePoints = opts.points ?? 1_000_000;
    print(
      `store write (points/s; ${shape.devices} devices × ${shape.metricsPerDevice} metrics round-robin, ${shape.batchPoints} points per transaction; raw + minute + hour rollups + latest):`,
    );
    const sqlite = openSqlite(join(dir, 'store.db'));
    result.store['sqlite (file, WAL, synchronous=NORMAL)'] = await storeRate(sqlite, shape, sqlitePoints);
    await sqlite.close();
    if (opts.postgres) {
      const pg = await openPostgres(opts.postgres, `bench_${randomBytes(4).toString('hex')}`, 2);
      try {
        result.store['postgresql (unnest arrays)'] = await storeRate(pg, shape, opts.points ?? 300_000);
      } finally {
        await pg.pool.query(`DROP SCHEMA ${pg.schema} CASCADE`);
        await pg.close();
      }
    }
    for (const [k, v] of Object.entries(result.store))
      print(`  ${k.padEnd(52)} ${fmt(v.wall).padStart(10)} ${fmt(v.cpu).padStart(12)}`);

    print(
      'raw table key order, SQLite, raw inserts only (points/s) and one device-metric hour of raw points (median ms):',
    );
    result.layout = layoutCompare(
      dir,
      shape.devices,
      shape.metricsPerDevice,
      Math.min(sqlitePoints, 1_000_000),
    );
    for (const [k, v] of Object.entries(result.layout))
      print(
        `  ${k.padEnd(52)} ${fmt(v.insertPerSec).padStart(10)} ${fmt(v.insertPerCpuSec).padStart(12)}   query ${v.queryMs.toFixed(2)} ms`,
      );

    print('range query, 30 days of minute rollups for one device (SQLite; 20 devices stored):');
    const rq = openSqlite(join(dir, 'range.db'));
    result.rangeQuery = await rangeQuery(rq, 20);
    await rq.close();
    for (const [k, v] of Object.entries(result.rangeQuery))
      print(
        `  ${k.padEnd(52)} median ${v.medianMs.toFixed(2)} ms, p95 ${v.p95Ms.toFixed(2)} ms (${v.buckets} buckets)`,
      );
    const mqttDevices = opts.mqttDevices ?? 100;
    if (mqttDevices > 0 && opts.mqttIngest) {
      const perDevice = opts.mqttTelegramsPerDevice ?? 100;
      print(
        `end to end: ${mqttDevices} mqtt.js devices × ${perDevice} QoS 1 scooter telegrams (PUBACK = decoded and durable), SQLite:`,
      );
      const m = await opts.mqttIngest(mqttDevices, perDevice);
      result.mqtt = m;
      print(
        `  ${fmt(m.telegramsPerSec)} telegrams/s (${fmt(m.pointsPerSec)} points/s) wall; ${fmt(m.cpuTelegramsPerSec)} telegrams per CPU-second (broker, decoder and store share this process)`,
      );
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
