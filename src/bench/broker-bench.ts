/**
 * `tsunagu bench broker`: the same workloads, in one run, against Tsunagu, Mosquitto and Aedes;
 * prints a table with the ratios Tsunagu/Mosquitto and Tsunagu/Aedes and can save the results as
 * JSON. Brokers are started by the benchmark on free ports on 127.0.0.1 and stopped at the end.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseIdleSteps } from './idle-memory.js';
import { startOtlpSink } from './otlp-sink.js';
import {
  BROKER_NAMES,
  chooseTsunaguRunner,
  startBroker,
  tracedName,
  type BrokerName,
  type BrokerTarget,
  type TsunaguHost,
  type TsunaguRunner,
} from './brokers.js';
import {
  figuresOf,
  formatAnomalies,
  formatTable,
  pairedCpuRatios,
  WORKLOAD_IDS,
  type Figure,
  type WorkloadId,
  type WorkloadRecord,
} from './report.js';
import {
  fanOut,
  FULL_SCALE,
  idleConnections,
  latencyAtRate,
  persistentOneToOne,
  qos0FanIn,
  qos0OneToOne,
  qos1OneToOne,
  QUICK_SCALE,
  type FlowResult,
  type IdleResult,
  type Scale,
} from './workloads.js';

export interface BrokerBenchOptions {
  brokers: BrokerName[];
  quick: boolean;
  /** Overrides of the quick or full sizes (tests use tiny counts). */
  scale?: Partial<Scale>;
  workloads?: WorkloadId[];
  tsunaguRunner?: TsunaguRunner;
  tsunaguHost?: TsunaguHost;
  tsunaguNodeArgs?: string[];
  /** `--database` for Tsunagu (a postgres:// URL; default SQLite). */
  tsunaguDatabase?: string;
  /** Another checkout of Tsunagu to run beside this one as the `baseline` broker (before/after). */
  baselineRoot?: string;
  /** Where the `traced@R` brokers export (`--trace-sample-ratio`). */
  traced?: { otlpUrl: string };
  /**
   * Runs of each workload, brokers alternating within each round (default 1); the table shows
   * each broker's median over the rounds.
   */
  rounds?: number;
  /**
   * Start the brokers anew for every round (and warm them up again), so one process's JIT and
   * memory layout do not stand for its broker in every round: for comparisons of a few per cent
   * between builds or settings of one broker. Rounds then come first, workloads within each.
   */
  freshBrokers?: boolean;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

export interface BrokerBenchResults {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  scale: Scale;
  host: { cpus: number; node: string; loadavgBefore: number[]; loadavgAfter: number[] };
  brokers: { name: BrokerName; description: string }[];
  /** Brokers that were asked for but did not start, with the reason. */
  brokerErrors: Partial<Record<BrokerName, string>>;
  workloads: WorkloadRecord[];
  figures: Figure[];
}

const TITLES: Record<WorkloadId, string> = {
  'idle-connections': 'idle connections',
  'qos0-one-to-one': 'QoS 0 1→1',
  'qos0-fan-in': 'QoS 0 fan-in',
  'qos1-one-to-one': 'QoS 1 1→1',
  'fan-out': 'fan-out',
  'latency-1k': 'latency @1k/s',
  'latency-10k': 'latency @10k/s',
  'latency-50k': 'latency @50k/s',
  'persistent-qos1': 'persistent QoS 1 1→1',
  'persistent-qos2': 'persistent QoS 2 1→1',
};

function runWorkload(id: WorkloadId, broker: BrokerTarget, scale: Scale): Promise<FlowResult | IdleResult> {
  switch (id) {
    case 'idle-connections':
      return idleConnections(broker, scale);
    case 'qos0-one-to-one':
      return qos0OneToOne(broker, scale);
    case 'qos0-fan-in':
      return qos0FanIn(broker, scale);
    case 'qos1-one-to-one':
      return qos1OneToOne(broker, scale);
    case 'fan-out':
      return fanOut(broker, scale);
    case 'latency-1k':
      return latencyAtRate(broker, scale, scale.latencyRates[0] ?? 1000);
    case 'latency-10k':
      return latencyAtRate(broker, scale, scale.latencyRates[1] ?? 10_000);
    case 'latency-50k':
      return latencyAtRate(broker, scale, scale.latencyRates[2] ?? 50_000);
    case 'persistent-qos1':
      return persistentOneToOne(broker, scale, 1);
    case 'persistent-qos2':
      return persistentOneToOne(broker, scale, 2);
  }
}

function describeResult(r: FlowResult | IdleResult): string {
  if ('bytesPerConnection' in r) {
    const kb = (b: number | undefined): string => (b === undefined ? '—' : `${(b / 1024).toFixed(2)} KB`);
    const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
    const steps = r.readings
      .map(
        (m) =>
          `${m.connections}: RSS ${mib(m.rssBytes)}` +
          (m.heapUsedBytes === undefined ? '' : `, heap ${mib(m.heapUsedBytes)}`),
      )
      .join('; ');
    return (
      `${r.connections} connections (${steps}); marginal RSS ${kb(r.bytesPerConnection)}, ` +
      `heap ${kb(r.heapBytesPerConnection)} per connection (average since 0: ${kb(r.averageBytesPerConnection)})`
    );
  }
  const lat = r.latency ? `, p50 ${r.latency.p50.toFixed(3)} ms p99 ${r.latency.p99.toFixed(3)} ms` : '';
  return `${r.delivered}/${r.expected} delivered, ${Math.round(r.rate)} msg/s, ${r.cpuUsPerMsg.toFixed(2)} µs CPU/msg${lat}`;
}

export async function runBrokerBench(opts: BrokerBenchOptions): Promise<BrokerBenchResults> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const scale: Scale = { ...(opts.quick ? QUICK_SCALE : FULL_SCALE), ...opts.scale };
  const workloadIds = opts.workloads ?? [...WORKLOAD_IDS];
  const startOpts = {
    tsunaguRunner: opts.tsunaguRunner ?? 'auto',
    tsunaguHost: opts.tsunaguHost ?? 'platform',
    tsunaguNodeArgs: opts.tsunaguNodeArgs ?? [],
    ...(opts.tsunaguDatabase ? { tsunaguDatabase: opts.tsunaguDatabase } : {}),
    ...(opts.baselineRoot ? { baselineRoot: opts.baselineRoot } : {}),
    ...(opts.traced ? { traced: opts.traced } : {}),
    inspect: workloadIds.includes('idle-connections'),
  } as const;
  const rounds = Math.max(1, opts.rounds ?? 1);
  const startedAt = new Date().toISOString();
  const loadavgBefore = loadavg();
  let brokers: BrokerTarget[] = [];
  const described = new Map<BrokerName, string>();
  const brokerErrors: Partial<Record<BrokerName, string>> = {};
  const records: WorkloadRecord[] = [];
  const startAll = async (): Promise<BrokerTarget[]> => {
    const started: BrokerTarget[] = [];
    for (const name of opts.brokers) {
      if (name === 'tsunagu' && described.size === 0)
        log(`tsunagu runner: ${chooseTsunaguRunner(startOpts.tsunaguRunner)}`);
      try {
        const b = await startBroker(name, startOpts);
        started.push(b);
        described.set(b.name, b.description);
        log(`started ${b.description} on port ${b.port} (pid ${b.pid})`);
      } catch (err) {
        brokerErrors[name] = err instanceof Error ? err.message : String(err);
        log(`${name}: did not start: ${brokerErrors[name]}`);
      }
    }
    // A short unmeasured run first, so JIT-compiled brokers are measured warm.
    // The latency workloads send one message at a time, a path the burst above warms only in part:
    // an unmeasured paced run first (profiles showed V8 still compiling, and more CPU per message,
    // in the first measured latency round otherwise).
    const paced = workloadIds.some((id) => id.startsWith('latency-'));
    for (const b of started) {
      if (scale.warmupMessages <= 0) break;
      await qos0OneToOne(b, scale, scale.warmupMessages).catch((err: unknown) =>
        log(`${b.name}: warm-up failed: ${String(err)}`),
      );
      if (paced)
        await latencyAtRate(b, scale, scale.latencyRates[1] ?? 10_000).catch((err: unknown) =>
          log(`${b.name}: paced warm-up failed: ${String(err)}`),
        );
    }
    return started;
  };
  const runRound = async (id: WorkloadId, round: number): Promise<void> => {
    const rec: WorkloadRecord = { id, title: TITLES[id], results: {}, errors: {} };
    records.push(rec);
    // Alternate which broker goes first, so neither always runs right after a warm machine.
    const order = round % 2 === 0 ? brokers : [...brokers].reverse();
    for (const b of order) {
      try {
        const r = await runWorkload(id, b, scale);
        rec.results[b.name] = r;
        log(`${id} / ${b.name}: ${describeResult(r)}`);
      } catch (err) {
        rec.errors[b.name] = err instanceof Error ? err.message : String(err);
        log(`${id} / ${b.name}: failed: ${rec.errors[b.name]}`);
      }
    }
  };
  const stopAll = async (): Promise<void> => {
    const running = brokers;
    brokers = [];
    await Promise.all(running.map((b) => b.stop()));
  };
  // Brokers are not restarted between rounds unless asked: a second round of idle connections
  // would measure pages the first one freed. One round.
  const once = (id: WorkloadId, round: number): boolean => id !== 'idle-connections' || round === 0;
  try {
    if (opts.freshBrokers) {
      for (let round = 0; round < rounds; round++) {
        brokers = await startAll();
        for (const id of workloadIds) if (once(id, round)) await runRound(id, round);
        await stopAll();
      }
    } else {
      brokers = await startAll();
      // Workload by workload, each broker in turn: the brokers see the same machine load as close in
      // time as possible, which matters on a shared, noisy host.
      for (const id of workloadIds)
        for (let round = 0; round < rounds; round++) if (once(id, round)) await runRound(id, round);
    }
  } finally {
    await stopAll();
  }
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: opts.quick,
    scale,
    host: { cpus: cpus().length, node: process.version, loadavgBefore, loadavgAfter: loadavg() },
    brokers: [...described].map(([name, description]) => ({ name, description })),
    brokerErrors,
    workloads: records,
    figures: figuresOf(records),
  };
}

const withBlank = (lines: string[]): string[] => (lines.length === 0 ? [] : [...lines, '']);

export function formatReport(results: BrokerBenchResults): string {
  const names = results.brokers.map((b) => b.name);
  const anomalies = formatAnomalies(results.workloads);
  const la = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  return [
    ...results.brokers.map((b) => `- ${b.name}: ${b.description}`),
    ...Object.entries(results.brokerErrors).map(([n, e]) => `- ${n}: did not start (${e})`),
    `- host: ${results.host.cpus} CPUs, load average ${la(results.host.loadavgBefore)} before, ${la(results.host.loadavgAfter)} after`,
    '',
    formatTable(results.figures, names),
    '',
    ...withBlank(pairedCpuRatios(results.workloads, names)),
    ...(anomalies.length
      ? ['Anomalies:', ...anomalies.map((a) => `- ${a}`)]
      : ['No anomalies: every expected message arrived, nothing timed out.']),
    '',
  ].join('\n');
}

const USAGE = `usage: tsunagu bench broker [options]

  --brokers LIST        comma-separated, of tsunagu,mosquitto,aedes (default: all three)
  --quick               small counts: a smoke run of a minute or so
  --only LIST           only these workloads: ${WORKLOAD_IDS.join(',')}
  --client C            mqttjs (default) or raw: lean mqtt-packet clients, less client CPU
  --json FILE           save the full results as JSON
  --tsunagu-runner R    auto (default: dist/ when built and up to date, else tsx), dist or tsx
  --tsunagu-host H      platform (default: tsunagu start, every module) or broker (the broker alone)
  --tsunagu-database U  run Tsunagu on PostgreSQL (a postgres:// URL; a fresh schema, dropped after)
  --tsunagu-profile DIR run Tsunagu under node --cpu-prof, profiles written to DIR at exit
  --tsunagu-node-flags F extra node flags for Tsunagu (and the baseline), space-separated,
                        e.g. --tsunagu-node-flags="--trace-gc --max-semi-space-size=16"
  --baseline DIR        also run Tsunagu built from the checkout DIR (e.g. a worktree of main) as
                        "baseline", with the same host and runner options; adds a T/B ratio column
  --rounds N            run each workload N times, brokers alternating; the table shows medians
                        (idle-connections runs once: the brokers are not restarted between rounds)
  --fresh-brokers       start the brokers anew for each round (rounds first, then workloads), so
                        one process's JIT and memory layout do not stand for a broker in every
                        round; the report adds the median of the per-round CPU ratios
  --idle-connections L  connection counts at which idle memory is read (default 5000,15000);
                        the figure is the slope between them (marginal bytes per connection)
  --qos0-messages N     messages per QoS 0 run (default 200000; 10000 with --quick): more for a
                        steady state, e.g. tracing's batch exports inside the measured window
  --qos1-messages N     messages per QoS 1 run (default 50000; 2000 with --quick)
  --trace-sample-ratio R[,R…] also run "traced@R" for each ratio: Tsunagu with tracing on at
                        ratio R (OTLP/HTTP to a local sink in this process), beside "tsunagu"
                        with tracing off
`;

function parseList<T extends string>(raw: string, allowed: readonly T[], what: string): T[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of items)
    if (!(allowed as readonly string[]).includes(i))
      throw new Error(`unknown ${what} "${i}" (expected one of ${allowed.join(', ')})`);
  return items as T[];
}

export async function runBrokerBenchCli(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      brokers: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'string' },
      client: { type: 'string' },
      'tsunagu-runner': { type: 'string' },
      'tsunagu-profile': { type: 'string' },
      'tsunagu-host': { type: 'string' },
      'tsunagu-database': { type: 'string' },
      'tsunagu-node-flags': { type: 'string' },
      baseline: { type: 'string' },
      rounds: { type: 'string' },
      'fresh-brokers': { type: 'boolean', default: false },
      'idle-connections': { type: 'string' },
      'trace-sample-ratio': { type: 'string' },
      'qos0-messages': { type: 'string' },
      'qos1-messages': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const runner = values['tsunagu-runner'] ?? 'auto';
  if (runner !== 'auto' && runner !== 'dist' && runner !== 'tsx')
    throw new Error(`--tsunagu-runner must be auto, dist or tsx, got "${runner}"`);
  const client = values.client ?? 'mqttjs';
  if (client !== 'mqttjs' && client !== 'raw')
    throw new Error(`--client must be mqttjs or raw, got "${client}"`);
  const host = values['tsunagu-host'] ?? 'platform';
  if (host !== 'platform' && host !== 'broker')
    throw new Error(`--tsunagu-host must be platform or broker, got "${host}"`);
  const profileDir = values['tsunagu-profile'];
  const database = values['tsunagu-database'];
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database))
    throw new Error(`--tsunagu-database must be a postgres:// URL, got "${database}"`);
  const rounds = values.rounds === undefined ? 1 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50)
    throw new Error(`--rounds must be a whole number from 1 to 50, got "${values.rounds}"`);
  const brokers: BrokerName[] = values.brokers
    ? parseList(values.brokers, BROKER_NAMES, 'broker')
    : [...BROKER_NAMES];
  const baseline = values.baseline;
  if (baseline !== undefined) {
    if (!existsSync(join(baseline, 'package.json')))
      throw new Error(`--baseline must be a Tsunagu checkout (no package.json in "${baseline}")`);
    const at = brokers.indexOf('tsunagu');
    brokers.splice(at < 0 ? 0 : at + 1, 0, 'baseline');
  }
  const ratioArg = values['trace-sample-ratio'];
  const ratios = ratioArg === undefined ? [] : ratioArg.split(',').map((r) => Number(r));
  if (ratios.some((r) => !(r >= 0 && r <= 1)))
    throw new Error(`--trace-sample-ratio must be numbers from 0 to 1, got "${ratioArg}"`);
  if (ratios.length > 0) {
    if (host !== 'platform') throw new Error('--trace-sample-ratio needs --tsunagu-host platform');
    const at = brokers.indexOf('tsunagu');
    brokers.splice(at < 0 ? 0 : at + 1, 0, ...ratios.map(tracedName));
  }
  const count = (name: 'qos0-messages' | 'qos1-messages'): number | undefined => {
    const raw = values[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${name} must be a whole number from 1, got "${raw}"`);
    return n;
  };
  const qos0Messages = count('qos0-messages');
  const qos1Messages = count('qos1-messages');
  const sink = ratios.length === 0 ? undefined : await startOtlpSink();
  const results = await runBrokerBench({
    ...(sink ? { traced: { otlpUrl: sink.url } } : {}),
    brokers,
    rounds,
    freshBrokers: values['fresh-brokers'],
    ...(baseline !== undefined ? { baselineRoot: resolve(baseline) } : {}),
    quick: values.quick,
    scale: {
      client,
      ...(qos0Messages === undefined ? {} : { qos0Messages }),
      ...(qos1Messages === undefined ? {} : { qos1Messages }),
      ...(values['idle-connections'] ? { idleConnections: parseIdleSteps(values['idle-connections']) } : {}),
    },
    ...(values.only ? { workloads: parseList(values.only, WORKLOAD_IDS, 'workload') } : {}),
    tsunaguRunner: runner,
    tsunaguHost: host,
    tsunaguNodeArgs: [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...(values['tsunagu-node-flags']?.split(/\s+/).filter(Boolean) ?? []),
    ],
    ...(database ? { tsunaguDatabase: database } : {}),
  }).finally(() => sink?.close());
  process.stdout.write(formatReport(results));
  if (sink) process.stdout.write(`OTLP sink: ${sink.requests()} exports, about ${sink.spans()} spans\n`);
  if (values.json) {
    writeFileSync(values.json, JSON.stringify(results, null, 2) + '\n');
    process.stderr.write(`results saved to ${values.json}\n`);
  }
}
