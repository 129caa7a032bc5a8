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
import { median } from './stats.js';

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

/** CLI entry: `tsunagu bench commands [--devices 1000] [--commands 5] [--database …] [--trace-sample-ratio 0,0.01,1] [--rounds 3]`. */
export async function runCommandBenchCli(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'tsunagu bench commands [--devices 1000] [--commands 5] [--database sqlite|postgres://…] [--trace-sample-ratio 0,0.01,1] [--rounds 2]\n' +
        '  --trace-sample-ratio: one ratio or a comma-separated list; every round runs tracing off and on at each\n' +
        '    ratio in one process (OTLP/HTTP to a local sink), in an order that turns round every round\n',
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
  const ratios = String(o.traceSampleRatio)
    .split(',')
    .map((r) => Number(r));
  if (ratios.some((r) => !Number.isFinite(r) || r < 0 || r > 1))
    throw new Error(`--trace-sample-ratio must be numbers from 0 to 1, got "${String(o.traceSampleRatio)}"`);
  const rounds = Number(o.rounds ?? 2);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be a whole number, got "${String(o.rounds)}"`);
  const settings: (number | 'off')[] = ['off', ...ratios];
  const label = (s: number | 'off'): string => (s === 'off' ? 'tracing off' : `tracing on at ${s}`);
  const runs = new Map(settings.map((s) => [s, [] as CommandBenchResult[]]));
  const sink = await startOtlpSink();
  try {
    for (let round = 1; round <= rounds; round++) {
      // Every setting once per round; the order turns round every round, so warm-up and a change
      // in machine load do not always fall on the same one.
      const order = settings.map((_, i) => settings[(i + round - 1) % settings.length]!);
      if (round % 2 === 0) order.reverse();
      for (const s of order) {
        const tracing =
          s === 'off'
            ? undefined
            : await startTracing({ endpoint: sink.url, sampleRatio: s, nodeId: 'bench' });
        let r: CommandBenchResult;
        try {
          r = await benchCommands(opts);
          await tracing?.flush();
        } finally {
          await tracing?.shutdown();
        }
        process.stdout.write(line(`round ${round}, ${label(s)}`, r));
        runs.get(s)!.push(r);
      }
    }
    const cpuOf = (s: number | 'off'): number[] => runs.get(s)!.map((r) => r.cpuMsPerCommand);
    const off = median(cpuOf('off'));
    for (const s of settings) {
      const cpu = cpuOf(s);
      const m = median(cpu);
      process.stdout.write(
        `${label(s)}: CPU per round trip median ${m.toFixed(3)} ms (min ${Math.min(...cpu).toFixed(3)}, max ${Math.max(...cpu).toFixed(3)}, ` +
          `${cpu.length} rounds)${s === 'off' ? '' : `, ${f(((m - off) / off) * 100)}% vs off`}; ` +
          `round trips/s median ${f(median(runs.get(s)!.map((r) => r.roundTripsPerSecond)))}\n`,
      );
    }
    process.stdout.write(`${sink.spans()} spans exported in ${sink.requests()} OTLP requests\n`);
  } finally {
    await sink.close();
  }
}
