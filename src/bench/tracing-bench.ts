/**
 * `tsunagu bench tracing`: what tracing adds per MQTT message on the broker's hot path, in one
 * process and without sockets, so the figure is not buried in the noise of a shared host: the
 * broker's delivery wrapper (`routeTraced`, mqtt/trace.ts) around a route that does nothing,
 * tracing off and on at each sample ratio, the real SDK, batch processor and OTLP/HTTP protobuf
 * exporter posting to a local sink (its receiving is counted too; it only counts bytes). CPU is
 * `process.cpuUsage()` per message. Settings alternate in an order that turns round every round.
 */
import { parseCliOptions, startTracing } from '../core/index.js';
import { routeTraced, type Message } from '../mqtt/index.js';
import { startOtlpSink } from './otlp-sink.js';
import { type AbWorkload, runTracingAb } from './tracing-broker-ab.js';
import { runTracingInstructions } from './tracing-instructions-cli.js';
import { median } from './stats.js';

/** A whole-number option of at least `min` (default `d`). */
function count(v: unknown, d: number, min = 0): number {
  const n = Number(v ?? d);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`counts must be whole numbers of at least ${min}, got "${String(v)}"`);
  return n;
}

/** `--ratios`: comma-separated numbers from 0 to 1. */
function parseRatios(v: unknown, fallback: string): number[] {
  const ratios = (typeof v === 'string' || typeof v === 'number' ? String(v) : fallback)
    .split(',')
    .map(Number);
  if (ratios.some((r) => !(r >= 0 && r <= 1))) throw new Error(`--ratios must be numbers from 0 to 1`);
  return ratios;
}

type Setting = 'off' | number;

/** CPU ns per message over `n` messages (after a warm-up of n/5), yielding to the event loop now and then. */
async function measure(n: number): Promise<number> {
  const route = { delivered: 1, dropCount: 0, forwarded: 0 };
  const payload = Buffer.alloc(16);
  const run = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const msg: Message = {
        topic: 'bench/0/q0',
        payload,
        qos: 0,
        retain: false,
        properties: undefined,
        expiresAt: undefined,
        publisherId: 'bench-pub-0',
      };
      routeTraced(msg, () => route as never);
      // The batch processor's timer and the exporter's HTTP run between batches, as in the broker.
      if (i % 1000 === 999) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  await run(Math.floor(n / 5));
  const c0 = process.cpuUsage();
  await run(n);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

export async function runTracingBenchCli(args: string[]): Promise<void> {
  const o = parseCliOptions(args);
  if (o.help) {
    process.stdout.write(
      'tsunagu bench tracing [--messages 1000000] [--ratios 0,0.01,1] [--rounds 5]\n' +
        'tsunagu bench tracing --instructions [--ratios 0,0.01] [--qos0 3000] [--qos1 3000] [--commands 60] [--single-threaded]\n' +
        '  --instructions: instructions per message counted by valgrind --tool=callgrind, the whole platform\n' +
        '    in one process per setting (tracing off and on at each ratio), QoS 0, QoS 1 and command round trips\n' +
        'tsunagu bench tracing --broker [--ratios 0,0.01] [--rounds 10] [--workloads qos0,qos1,paced10k]\n' +
        '    [--qos0-messages 1000000] [--qos1-messages 200000]\n' +
        '  --broker: broker CPU per message in one platform process whose sample ratio is switched between\n' +
        '    rounds (clients in worker processes, as bench broker), so every setting runs on the same code\n',
    );
    return;
  }
  if (o.broker !== undefined) {
    const workloads = String(o.workloads ?? 'qos0,qos1').split(',') as AbWorkload[];
    if (workloads.some((w) => !['qos0', 'qos1', 'paced10k'].includes(w)))
      throw new Error('--workloads: a comma-separated list of qos0, qos1, paced10k');
    await runTracingAb({
      ratios: parseRatios(o.ratios, '0,0.01'),
      rounds: count(o.rounds, 10, 1),
      workloads,
      qos0Messages: count(o.qos0Messages, 1_000_000, 1),
      qos1Messages: count(o.qos1Messages, 200_000, 1),
    });
    return;
  }
  if (o.instructions !== undefined) {
    const ratios = parseRatios(o.ratios, '0,0.01');
    await runTracingInstructions({
      ratios,
      qos0: count(o.qos0, 3000),
      qos1: count(o.qos1, 3000),
      commands: count(o.commands, 60),
      nodeFlags: o.singleThreaded === true ? ['--single-threaded'] : [],
    });
    return;
  }
  const n = Number(o.messages ?? 1_000_000);
  const ratios = parseRatios(o.ratios, '0,0.01,1');
  const rounds = Number(o.rounds ?? 5);
  const settings: Setting[] = ['off', ...ratios];
  const seen = new Map<Setting, number[]>(settings.map((s) => [s, []]));
  const sink = await startOtlpSink();
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = settings.map((_, i) => settings[(i + round - 1) % settings.length]!);
      if (round % 2 === 0) order.reverse();
      for (const s of order) {
        const tracing = s === 'off' ? undefined : await startTracing({ endpoint: sink.url, sampleRatio: s });
        let ns: number;
        try {
          ns = await measure(s === 1 ? Math.ceil(n / 20) : n);
          await tracing?.flush();
        } finally {
          await tracing?.shutdown();
        }
        seen.get(s)!.push(ns);
        process.stdout.write(
          `round ${round}, ${s === 'off' ? 'tracing off' : `ratio ${s}`}: ${ns.toFixed(0)} ns CPU/message\n`,
        );
      }
    }
    const off = median(seen.get('off')!);
    for (const s of settings) {
      const v = seen.get(s)!;
      const m = median(v);
      const perSampled =
        s === 'off' || s === 0 ? '' : ` (${((m - off) / s / 1000).toFixed(1)} µs per sampled message)`;
      const added = s === 'off' ? '' : `, adds ${(m - off).toFixed(0)} ns/message${perSampled}`;
      process.stdout.write(
        `${s === 'off' ? 'tracing off' : `ratio ${s}`}: median ${m.toFixed(0)} ns CPU/message ` +
          `(min ${Math.min(...v).toFixed(0)}, max ${Math.max(...v).toFixed(0)}, ${v.length} rounds)${added}\n`,
      );
    }
    process.stdout.write(`${sink.spans()} spans exported in ${sink.requests()} OTLP requests\n`);
  } finally {
    await sink.close();
  }
}
