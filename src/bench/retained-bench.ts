/**
 * `tsunagu bench retained`: SUBSCRIBE latency (SUBACK and every matching retained message
 * received) with N retained messages (default 1,000,000) on Tsunagu and Mosquitto, each in its own
 * process and loaded over MQTT the same way. Beside them, the cost of the scan Tsunagu used before
 * the level index (filterMatches over every retained topic) for the same filters, timed in this
 * process on the same topics.
 *
 * Topics are `fleet/d{i}/s{j}` (i < N/100, j < 100). Filters: one exact topic (1 message), one
 * device's subtree `fleet/d42/#` (100), and one sensor across the fleet `fleet/+/s7` (N/100).
 */
import net from 'node:net';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import { filterMatches } from '../mqtt/index.js';
import { startBroker, type BrokerName } from './brokers.js';
import { percentile } from './stats.js';

export interface RetainedBenchOptions {
  retained?: number;
  rounds?: number;
  brokers?: string;
}

interface FilterCase {
  filter: string;
  expect: number;
}

interface Row {
  broker: string;
  filter: string;
  messages: number;
  p50Ms: number;
  maxMs: number;
}

/** A bare MQTT 3.1.1 client over one socket: enough to load and to time subscriptions. */
class Client {
  private readonly socket: net.Socket;
  private readonly parser = createParser({ protocolVersion: 4 });
  private waiter: ((p: Packet) => void) | undefined;

  private constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => this.parser.parse(d));
    this.parser.on('packet', (p: Packet) => this.waiter?.(p));
  }

  static async connect(port: number, clientId: string): Promise<Client> {
    const c = new Client(port);
    await new Promise<void>((resolve, reject) => {
      c.socket.once('connect', resolve);
      c.socket.once('error', reject);
    });
    c.socket.write(
      generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId,
      }),
    );
    await c.until((p) => p.cmd === 'connack');
    return c;
  }

  /** Resolves when `done(packet)` returns true. */
  until(done: (p: Packet) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = (p) => {
        if (done(p)) {
          this.waiter = undefined;
          resolve();
        }
      };
    });
  }

  /** Publish `topics` retained (QoS 0) in large writes, then a PINGREQ: its answer means all were read. */
  async load(topics: Iterable<string>): Promise<void> {
    const payload = Buffer.alloc(16, 1);
    let batch: Buffer[] = [];
    for (const topic of topics) {
      batch.push(generate({ cmd: 'publish', topic, payload, qos: 0, retain: true, dup: false }));
      if (batch.length === 5000) {
        if (!this.socket.write(Buffer.concat(batch))) await new Promise((r) => this.socket.once('drain', r));
        batch = [];
      }
    }
    this.socket.write(Buffer.concat(batch));
    const pong = this.until((p) => p.cmd === 'pingresp');
    this.socket.write(generate({ cmd: 'pingreq' }));
    await pong;
  }

  /** SUBSCRIBE → SUBACK and `expect` retained PUBLISHes, then UNSUBSCRIBE; milliseconds. */
  async timeSubscribe(filter: string, expect: number, messageId: number): Promise<number> {
    let got = 0;
    let acked = false;
    const t0 = process.hrtime.bigint();
    const done = this.until((p) => {
      if (p.cmd === 'suback') acked = true;
      else if (p.cmd === 'publish') got++;
      return acked && got >= expect;
    });
    this.socket.write(generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic: filter, qos: 0 }] }));
    await done;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const unacked = this.until((p) => p.cmd === 'unsuback');
    this.socket.write(generate({ cmd: 'unsubscribe', messageId, unsubscriptions: [filter] }));
    await unacked;
    return ms;
  }

  close(): void {
    this.socket.destroy();
  }
}

function* fleetTopics(n: number): Generator<string> {
  for (let i = 0; i < n / 100; i++) for (let j = 0; j < 100; j++) yield `fleet/d${i}/s${j}`;
}

function cases(n: number): FilterCase[] {
  if (n % 100 !== 0 || n < 100) throw new Error('--retained must be a multiple of 100');
  const devices = n / 100;
  const d = 42 % devices;
  return [
    { filter: `fleet/d${d}/s7`, expect: 1 },
    { filter: `fleet/d${d}/#`, expect: 100 },
    { filter: 'fleet/+/s7', expect: devices },
  ];
}

async function measureBroker(name: BrokerName, n: number, rounds: number): Promise<Row[]> {
  const target = await startBroker(name, {
    tsunaguRunner: 'auto',
    tsunaguHost: 'broker',
    tsunaguNodeArgs: [],
  });
  try {
    const loader = await Client.connect(target.port, 'bench-retained-loader');
    const t0 = Date.now();
    await loader.load(fleetTopics(n));
    loader.close();
    process.stderr.write(`${name}: ${n} retained messages loaded in ${Date.now() - t0} ms\n`);
    // Let a persistence writer catch up before timing.
    await new Promise((r) => setTimeout(r, 2000));
    const sub = await Client.connect(target.port, 'bench-retained-sub');
    const rows: Row[] = [];
    let id = 1;
    for (const c of cases(n)) {
      const samples: number[] = [];
      for (let r = 0; r < rounds; r++) samples.push(await sub.timeSubscribe(c.filter, c.expect, id++));
      samples.sort((a, b) => a - b);
      rows.push({
        broker: name,
        filter: c.filter,
        messages: c.expect,
        p50Ms: percentile(samples, 0.5),
        maxMs: samples[samples.length - 1]!,
      });
    }
    sub.close();
    return rows;
  } finally {
    await target.stop();
  }
}

/** The pre-index algorithm: test every retained topic against the filter. */
function measureScan(n: number, rounds: number): Row[] {
  const topics = [...fleetTopics(n)];
  return cases(n).map((c) => {
    const samples: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      let found = 0;
      for (const t of topics) if (filterMatches(c.filter, t)) found++;
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (found !== c.expect) throw new Error(`scan found ${found}, expected ${c.expect}`);
    }
    samples.sort((a, b) => a - b);
    return {
      broker: 'scan (before the index, match only)',
      filter: c.filter,
      messages: c.expect,
      p50Ms: percentile(samples, 0.5),
      maxMs: samples[samples.length - 1]!,
    };
  });
}

export async function benchRetained(opts: RetainedBenchOptions = {}): Promise<Row[]> {
  const n = opts.retained ?? 1_000_000;
  const rounds = opts.rounds ?? 5;
  const names = (opts.brokers ?? 'tsunagu,mosquitto').split(',') as BrokerName[];
  const rows: Row[] = [];
  for (const name of names) rows.push(...(await measureBroker(name, n, rounds)));
  rows.push(...measureScan(n, rounds));
  process.stdout.write(
    `SUBSCRIBE → SUBACK + every matching retained message, ${n} retained, ${rounds} rounds\n`,
  );
  process.stdout.write(
    `${'broker'.padEnd(38)} ${'filter'.padEnd(14)} ${'messages'.padStart(8)} ${'p50 ms'.padStart(9)} ${'max ms'.padStart(9)}\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${r.broker.padEnd(38)} ${r.filter.padEnd(14)} ${String(r.messages).padStart(8)} ${r.p50Ms.toFixed(2).padStart(9)} ${r.maxMs.toFixed(2).padStart(9)}\n`,
    );
  return rows;
}
