/**
 * A fixed workload for `tsunagu bench tracing --instructions`, run under
 * `valgrind --tool=callgrind`, which counts the instructions it executes: the same total run after
 * run whatever else loads the host, where CPU time on a shared 2-core machine cannot resolve a few
 * percent. One process: the whole platform (as `bench commands` starts it) with tracing off or on
 * at a ratio (OTLP/HTTP to a local sink in this process), then `--qos0` QoS 0 and `--qos1` QoS 1
 * messages from a raw publisher to a raw subscriber in windows of 100, then `--commands` command
 * round trips (HTTP `wait: true` → QoS 1 delivery → an mqtt.js device answers → stored → answer).
 * Every run first does the same warm-up (4000 QoS 0, 4000 QoS 1 messages, 50 commands), so JIT
 * tiers are reached before the counted parts; a run with every count 0 is the baseline (start-up,
 * connections, warm-up, shutdown), and a part's instructions per message are (run − baseline) / N.
 *
 * For a repeatable count `Math.random` is a seeded generator in this process only: the message
 * sampler's gaps and the SDK's trace ids (and so its ratio sampler) draw the same numbers every run,
 * and batches are sent only at the final flush (schedule delay set far out), not on a timer.
 * Usage: node dist/bench/tracing-instructions.js <off|ratio> <qos0> <qos1> <commands> [--dump]
 */
process.env.OTEL_BSP_SCHEDULE_DELAY = '3600000';
let seed = 0x9e3779b9;
Math.random = (): number => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

import { execFileSync } from 'node:child_process';
import { startTracing } from '../core/index.js';
import { BENCH_TOKEN, connectFleet, startBenchPlatform } from './fleet.js';
import { startOtlpSink } from './otlp-sink.js';
import {
  PublishEncoder,
  puback,
  publishLayout,
  rawConnect,
  rawSubscribe,
  type RawClient,
} from './raw-client.js';

/**
 * Under callgrind with `--dump`: dump the counts so far (and zero them) at the end of each part,
 * so one run gives every part's own total (`callgrind_control -d`, through vgdb). The part named
 * `empty` is two dumps back to back: what a dump itself costs, to subtract from each part.
 */
const dumping = process.argv.includes('--dump');
function mark(part: string): void {
  if (dumping) execFileSync('callgrind_control', ['-d', part, String(process.pid)], { stdio: 'ignore' });
}

const WINDOW = 100;
const WARM_MESSAGES = 4000;
const WARM_COMMANDS = 50;

/** `count` messages at `qos` from `pub` to `sub`, WINDOW at a time (each window fully delivered and acknowledged). */
async function pushMessages(pub: RawClient, sub: RawClient, qos: 0 | 1, count: number): Promise<void> {
  const enc = new PublishEncoder('bench/instr/t', 16);
  const buf = Buffer.alloc(WINDOW * enc.size1);
  let seq = 0;
  let packetId = 0;
  while (seq < count) {
    const n = Math.min(WINDOW, count - seq);
    await new Promise<void>((resolve) => {
      let received = 0;
      let acked = qos === 0 ? n : 0;
      const check = (): void => {
        if (received === n && acked === n) resolve();
      };
      sub.onPacket = (p) => {
        if (p.header >> 4 !== 3) return;
        const { packetId: id } = publishLayout(p);
        if (id !== 0) sub.socket.write(puback(id));
        received++;
        check();
      };
      pub.onPacket = (p) => {
        if (p.header >> 4 === 4) {
          acked++;
          check();
        }
      };
      let off = 0;
      for (let i = 0; i < n; i++) {
        packetId = (packetId % 65535) + 1;
        off = qos === 0 ? enc.qos0(buf, off, seq + i) : enc.qos1(buf, off, seq + i, packetId);
      }
      pub.socket.write(Buffer.from(buf.subarray(0, off)));
    });
    seq += n;
  }
}

async function main(): Promise<void> {
  const [setting, q0, q1, cmds] = process.argv.slice(2).filter((a) => a !== '--dump');
  const ratio = setting === 'off' ? undefined : Number(setting);
  const counts = [q0, q1, cmds].map(Number);
  if ((ratio !== undefined && !(ratio >= 0 && ratio <= 1)) || counts.some((c) => !(c >= 0)))
    throw new Error('usage: tracing-instructions <off|ratio> <qos0> <qos1> <commands>');
  const [nq0, nq1, ncmd] = counts as [number, number, number];
  const sink = await startOtlpSink();
  const tracing =
    ratio === undefined
      ? undefined
      : await startTracing({ endpoint: sink.url, sampleRatio: ratio, nodeId: 'bench' });
  const platform = await startBenchPlatform('sqlite');
  const headers = { authorization: `Bearer ${BENCH_TOKEN}` };
  const sub = await rawConnect(platform.mqttUrl, 'instr-sub');
  const pub = await rawConnect(platform.mqttUrl, 'instr-pub');
  await rawSubscribe(sub, 'bench/instr/t', 1);
  const id = 'instr-dev';
  const r = await platform.app.http.inject({
    method: 'POST',
    url: '/api/v1/devices',
    headers,
    payload: { id },
  });
  if (r.statusCode !== 201) throw new Error(`registering ${id}: ${r.statusCode} ${r.body}`);
  const [dev] = await connectFleet(platform.mqttUrl, [id], { protocolVersion: 5 });
  dev!.on('message', (topic, _payload, packet) => {
    const props = packet.properties;
    dev!
      .publishAsync(props?.responseTopic ?? `${topic}/reply`, '{"status":"ok"}', {
        qos: 1,
        ...(props?.correlationData ? { properties: { correlationData: props.correlationData } } : {}),
      })
      .catch(() => undefined);
  });
  await dev!.subscribeAsync(`devices/${id}/commands/+`, { qos: 1 });
  const command = async (n: number): Promise<void> => {
    const res = await platform.app.http.inject({
      method: 'POST',
      url: `/api/v1/devices/${id}/commands`,
      headers,
      payload: { name: 'unlock', params: { n }, wait: true, timeoutMs: 60_000 },
    });
    const status = (JSON.parse(res.body) as { status?: string }).status;
    if (status !== 'succeeded') throw new Error(`command ${n}: ${res.statusCode} ${res.body}`);
  };
  try {
    await pushMessages(pub, sub, 0, WARM_MESSAGES);
    await pushMessages(pub, sub, 1, WARM_MESSAGES);
    for (let i = 0; i < WARM_COMMANDS; i++) await command(i);
    mark('warm-up');
    mark('empty');
    await pushMessages(pub, sub, 0, nq0);
    mark('qos0');
    await pushMessages(pub, sub, 1, nq1);
    mark('qos1');
    for (let i = 0; i < ncmd; i++) await command(i);
    mark('commands');
    await tracing?.flush();
  } finally {
    dev!.end(true);
    pub.socket.destroy();
    sub.socket.destroy();
    await platform.close();
    await tracing?.shutdown();
    await sink.close();
  }
  process.stdout.write(`spans ${sink.spans()} requests ${sink.requests()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `tracing-instructions: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
