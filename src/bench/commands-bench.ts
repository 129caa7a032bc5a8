/**
 * `tsunagu bench commands`: command round trips per second — `POST /api/v1/devices/{id}/commands`
 * with `wait: true` → MQTT delivery (QoS 1) → an mqtt.js device replies ok → the outcome is
 * stored → the HTTP answer. N connected devices, one command in flight per device. Prints
 * throughput and latency (HTTP round trip, and the stored request → reply latency).
 */
import { BENCH_TOKEN, connectFleet, startBenchPlatform } from './fleet.js';
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { parseCliOptions, startTracing } from '../core/index.js';
import { startOtlpSink } from './otlp-sink.js';
import { percentile } from '../commands/index.js';

export interface CommandBenchOptions {
  devices: number;
  /** Commands per device, one after another. */
  commandsPerDevice: number;
  /** `sqlite` (default) or a postgres:// URL. */
  database: string;
}

export interface CommandBenchResult {
  devices: number;
  commands: number;
  seconds: number;
  roundTripsPerSecond: number;
  /** HTTP request → final answer, as the caller sees it. */
  httpLatencyMs: { p50: number; p99: number };
  /** Stored request → device reply latency (GET /commands/stats). */
  replyLatencyMs: { p50: number | null; p99: number | null };
  succeeded: number;
  /** Process CPU (platform and simulated devices together) per round trip. */
  cpuMsPerCommand: number;
}

const TOKEN = BENCH_TOKEN;

export async function benchCommands(opts: CommandBenchOptions): Promise<CommandBenchResult> {
  const platform = await startBenchPlatform(opts.database);
  const app = platform.app;
  const clients: MqttClient[] = [];
  const headers = { authorization: `Bearer ${TOKEN}` };
  try {
    const url = platform.mqttUrl;
    const ids = Array.from({ length: opts.devices }, (_, i) => `bench-cmd-${i}`);
    for (const id of ids) {
      const r = await app.http.inject({ method: 'POST', url: '/api/v1/devices', headers, payload: { id } });
      if (r.statusCode !== 201) throw new Error(`registering ${id}: ${r.statusCode} ${r.body}`);
    }
    clients.push(...(await connectFleet(url, ids, { protocolVersion: 5 })));
    // Every device answers ok at once, echoing the correlation data (MQTT 5 request/response).
    await Promise.all(
      clients.map(async (c, i) => {
        c.on('message', (topic, _payload, packet) => {
          const props = packet.properties;
          // A reply still awaiting its PUBACK when the run ends is cut off by end(): not an error.
          c.publishAsync(props?.responseTopic ?? `${topic}/reply`, '{"status":"ok"}', {
            qos: 1,
            ...(props?.correlationData ? { properties: { correlationData: props.correlationData } } : {}),
          }).catch(() => undefined);
        });
        await c.subscribeAsync(`devices/${ids[i]}/commands/+`, { qos: 1 });
      }),
    );
    const latencies: number[] = [];
    let succeeded = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      ids.map(async (id) => {
        for (let n = 0; n < opts.commandsPerDevice; n++) {
          const t0 = performance.now();
          const r = await app.http.inject({
            method: 'POST',
            url: `/api/v1/devices/${id}/commands`,
            headers,
            payload: { name: 'unlock', params: { n }, wait: true, timeoutMs: 60_000 },
          });
          latencies.push(performance.now() - t0);
          if ((JSON.parse(r.body) as { status?: string }).status === 'succeeded') succeeded++;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    const stats = JSON.parse(
      (await app.http.inject({ method: 'GET', url: '/api/v1/commands/stats', headers })).body,
    ) as { replyLatencyMs: { p50: number | null; p99: number | null } };
    return {
      devices: opts.devices,
      commands: latencies.length,
      seconds,
      roundTripsPerSecond: latencies.length / seconds,
      httpLatencyMs: { p50: percentile(latencies, 50) ?? NaN, p99: percentile(latencies, 99) ?? NaN },
      replyLatencyMs: { p50: stats.replyLatencyMs.p50, p99: stats.replyLatencyMs.p99 },
      succeeded,
      cpuMsPerCommand: (cpu.user + cpu.system) / 1000 / latencies.length,
    };
  } finally {
    for (const c of clients) c.end(true);
    await platform.close();
  }
}

/** CLI entry: `tsunagu bench commands [--devices 1000] [--commands 5] [--database …] [--trace-sample-ratio 0.01]`. */
export async function runCommandBenchCli(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'tsunagu bench commands [--devices 1000] [--commands 5] [--database sqlite|postgres://…] [--trace-sample-ratio 0.01]\n' +
        '  --trace-sample-ratio: run twice in one process, tracing off then on (OTLP/HTTP to a local sink)\n',
    );
    return;
  }
  const o = parseCliOptions(args);
  const opts = {
    devices: Number(o.devices ?? 1000),
    commandsPerDevice: Number(o.commands ?? 5),
    database: String(o.database ?? 'sqlite'),
  };
  const f = (n: number | null): string => (n === null ? '-' : n.toFixed(1));
  const line = (label: string, r: CommandBenchResult): string =>
    `${label}: ${r.devices} devices, ${r.commands} round trips (${r.succeeded} succeeded) in ${f(r.seconds)} s = ` +
    `${f(r.roundTripsPerSecond)} round trips/s; HTTP wait:true p50 ${f(r.httpLatencyMs.p50)} ms, p99 ${f(r.httpLatencyMs.p99)} ms; ` +
    `request → reply p50 ${f(r.replyLatencyMs.p50)} ms, p99 ${f(r.replyLatencyMs.p99)} ms; CPU ${r.cpuMsPerCommand.toFixed(3)} ms/round trip\n`;
  if (o.traceSampleRatio === undefined) {
    process.stdout.write(line('commands', await benchCommands(opts)));
    return;
  }
  // Off and on alternate (--rounds times) so a change in machine load hits both alike.
  const ratio = Number(o.traceSampleRatio);
  const rounds = Number(o.rounds ?? 2);
  const sink = await startOtlpSink();
  const cpu = { off: [] as number[], on: [] as number[] };
  const rate = { off: [] as number[], on: [] as number[] };
  try {
    for (let round = 1; round <= rounds; round++) {
      const off = await benchCommands(opts);
      process.stdout.write(line(`round ${round}, tracing off`, off));
      const tracing = await startTracing({ endpoint: sink.url, sampleRatio: ratio, nodeId: 'bench' });
      let on: CommandBenchResult;
      try {
        on = await benchCommands(opts);
        await tracing.flush();
      } finally {
        await tracing.shutdown();
      }
      process.stdout.write(line(`round ${round}, tracing on at ${ratio}`, on));
      cpu.off.push(off.cpuMsPerCommand);
      cpu.on.push(on.cpuMsPerCommand);
      rate.off.push(off.roundTripsPerSecond);
      rate.on.push(on.roundTripsPerSecond);
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    process.stdout.write(
      `tracing at ${ratio}: CPU per round trip ${mean(cpu.off).toFixed(3)} → ${mean(cpu.on).toFixed(3)} ms ` +
        `(${f(((mean(cpu.on) - mean(cpu.off)) / mean(cpu.off)) * 100)}%), round trips/s ${f(mean(rate.off))} → ${f(mean(rate.on))}; ` +
        `${sink.spans()} spans exported in ${sink.requests()} OTLP requests\n`,
    );
  } finally {
    await sink.close();
  }
}
