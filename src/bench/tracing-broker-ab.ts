/**
 * `tsunagu bench tracing --broker`: what per-message tracing costs the broker, measured in ONE
 * platform process whose sample ratio is switched between rounds (`setMessageTracing`), with the
 * clients in worker processes as in `bench broker`. Separate processes per setting (`bench broker
 * --trace-sample-ratio … --fresh-brokers`) differ from each other by ±15% a round whatever the
 * setting (JIT decisions, memory layout), which buries a 5% goal; here every round of every
 * setting runs on the same compiled code and heap, so a round's ratio is the setting's alone.
 *
 * The process is the whole platform as `bench commands` starts it, with the SDK and OTLP/HTTP
 * exporter on (to a local sink in this process that only drains each request: its socket reads
 * are counted against tracing, which overstates the cost a little). Settings: `off` is per-message tracing off with the SDK still
 * registered (what ratio 0 costs beyond it is the countdown), then each ratio. Rounds run every
 * setting in an order that turns round each round; CPU per message is the whole process (all
 * threads) and its main thread alone (V8's background threads, compiling and collecting, add
 * most of the round-to-round noise).
 */
import { readFileSync } from 'node:fs';
import { setMessageTracing, startTracing } from '../core/index.js';
import type { BrokerTarget } from './brokers.js';
import { startBenchPlatform } from './fleet.js';
import { clockTicksPerSecond } from './proc-stats.js';
import { startOtlpSink } from './otlp-sink.js';
import { type FlowResult, FULL_SCALE, latencyAtRate, qos0OneToOne, qos1OneToOne } from './workloads.js';
import { median } from './stats.js';

export type AbWorkload = 'qos0' | 'qos1' | 'paced10k';
type Setting = 'off' | number;

export interface TracingAbOptions {
  ratios: number[];
  rounds: number;
  workloads: AbWorkload[];
  qos0Messages: number;
  qos1Messages: number;
  out?: (line: string) => void;
}

/** CPU seconds of this process's main thread (/proc/self/task/<pid>/stat, utime + stime). */
function mainThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[14 - 3]) + Number(f[15 - 3])) / clockTicksPerSecond();
}

const pct = (r: number): string => `${r >= 1 ? '+' : '−'}${(Math.abs(r - 1) * 100).toFixed(1)}%`;

function label(s: Setting): string {
  return s === 'off' ? 'per-message tracing off' : `ratio ${s}`;
}

/** One measured run: CPU µs per message, whole process and main thread. */
interface Reading {
  all: number;
  main: number;
}

/** Per workload and setting, one reading a round. */
export type TracingAbResult = Record<AbWorkload, Map<Setting, Reading[]>>;

export async function runTracingAb(o: TracingAbOptions): Promise<TracingAbResult> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const sink = await startOtlpSink({ countSpans: false });
  const tracing = await startTracing({ endpoint: sink.url, sampleRatio: 0, nodeId: 'bench' });
  const platform = await startBenchPlatform('sqlite');
  const target: BrokerTarget = {
    name: 'tsunagu',
    pid: process.pid,
    port: Number(new URL(platform.mqttUrl).port),
    url: platform.mqttUrl,
    description: 'tsunagu (this process)',
    stop: () => platform.close(),
  };
  const scale = {
    ...FULL_SCALE,
    client: 'raw' as const,
    qos0Messages: o.qos0Messages,
    qos1Messages: o.qos1Messages,
    latencySeconds: 10,
  };
  const run = (w: AbWorkload): Promise<FlowResult> =>
    w === 'qos0'
      ? qos0OneToOne(target, scale)
      : w === 'qos1'
        ? qos1OneToOne(target, scale)
        : latencyAtRate(target, scale, 10_000);
  const settings: Setting[] = ['off', ...o.ratios];
  const apply = (s: Setting): void => (s === 'off' ? setMessageTracing(false) : setMessageTracing(true, s));
  const result = Object.fromEntries(
    o.workloads.map((w) => [w, new Map(settings.map((s) => [s, [] as Reading[]]))]),
  ) as TracingAbResult;
  try {
    // Warm-up, unmeasured: every setting once (the sampled path compiled before round 1).
    for (const s of settings) {
      apply(s);
      await qos0OneToOne(target, scale, Math.min(200_000, o.qos0Messages));
    }
    for (let round = 1; round <= o.rounds; round++) {
      const order = settings.map((_, i) => settings[(i + round - 1) % settings.length]!);
      if (round % 2 === 0) order.reverse();
      for (const w of o.workloads)
        for (const s of order) {
          apply(s);
          const main0 = mainThreadCpuSeconds();
          const r = await run(w);
          const main = mainThreadCpuSeconds() - main0;
          if (r.delivered < r.expected)
            throw new Error(`${w}, ${label(s)}: ${r.delivered}/${r.expected} delivered`);
          const reading = { all: r.cpuUsPerMsg, main: (main * 1e6) / r.delivered };
          result[w].get(s)!.push(reading);
          out(
            `round ${round}, ${w}, ${label(s)}: ${reading.all.toFixed(3)} µs CPU/msg ` +
              `(main thread ${reading.main.toFixed(3)}), ${Math.round(r.rate)} msg/s`,
          );
        }
    }
    await tracing.flush();
  } finally {
    await platform.close();
    await tracing.shutdown();
    await sink.close();
  }
  for (const w of o.workloads) {
    const byS = result[w];
    const off = byS.get('off')!;
    for (const s of settings) {
      const v = byS.get(s)!;
      const m = (k: keyof Reading): number => median(v.map((x) => x[k]));
      let line = `${w}, ${label(s)}: median ${m('all').toFixed(3)} µs CPU/msg (main thread ${m('main').toFixed(3)})`;
      if (s !== 'off') {
        // Rounds whose base read 0 ticks (tiny runs) have no ratio.
        const paired = (k: keyof Reading, base: Reading[]): string => {
          const ratios = v.flatMap((x, i) => (base[i]![k] > 0 ? [x[k] / base[i]![k]] : []));
          return ratios.length === 0 ? 'n/a' : pct(median(ratios));
        };
        line += `; per-round vs off ${paired('all', off)} (main thread ${paired('main', off)})`;
        const zero = byS.get(0);
        if (s !== 0 && zero)
          line += `, vs ratio 0 ${paired('all', zero)} (main thread ${paired('main', zero)})`;
      }
      out(line);
    }
  }
  out(`${sink.requests()} OTLP requests`);
  return result;
}
