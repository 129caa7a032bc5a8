/**
 * `tsunagu bench <name> [options]`. Each benchmark is looked up by name and loaded only when used;
 * add new ones to BENCHMARKS.
 */
import { parseCliOptions } from '../core/index.js';

type BenchMain = (args: string[]) => Promise<void>;

/** `--some-option 12` → `{ someOption: 12 }` (kept under this name for the CLI's tests). */
export const parseBenchOptions = parseCliOptions;

/** Adapt an options-object benchmark to the CLI. */
function withOptions<O>(run: (opts: O) => Promise<unknown>): BenchMain {
  return async (args) => {
    await run(parseBenchOptions(args) as O);
  };
}

const BENCHMARKS: Record<string, { help: string; load: () => Promise<BenchMain> }> = {
  broker: {
    help: 'throughput, latency, CPU and memory of Tsunagu vs Mosquitto vs Aedes',
    load: async () => (await import('../bench/index.js')).runBrokerBenchCli,
  },
  slo: {
    help: 'the SLO engine over 30 days of per-minute counters (see docs/slo.md)',
    load: async () => {
      const { benchSlo } = await import('../slo/index.js');
      return async (args) => {
        await benchSlo(args);
      };
    },
  },
  registry: {
    help: 'CONNECTs/s with password auth (cold/warm cache), ACL cost per publish, device-list timings',
    load: async () => withOptions((await import('../registry/index.js')).benchRegistry),
  },
  reconnect: {
    help: 'devices with passwords reconnect at once after kill -9 (Tsunagu vs Mosquitto); CONNECT latency under a wrong-password flood',
    load: async () => withOptions((await import('../registry/index.js')).benchReconnect),
  },
  shadows: {
    help: 'shadow updates/s end to end (device publish → durable accepted) with 1,000 devices',
    load: async () => (await import('../bench/index.js')).runShadowBenchCli,
  },
  rules: {
    help: 'rules engine: CPU and p99 per message with 1,000 vs 10,000 rules (10 matching)',
    load: async () => withOptions((await import('../bench/index.js')).benchRules),
  },
  commands: {
    help: 'command round trips/s and p50/p99 latency with 1,000 devices',
    load: async () => (await import('../bench/index.js')).runCommandBenchCli,
  },
  tracing: {
    help: 'CPU per MQTT message that tracing adds on the broker hot path: off vs sample ratios (in-process)',
    load: async () => (await import('../bench/index.js')).runTracingBenchCli,
  },
  ingest: {
    help: 'decoder rates, points/s persisted (SQLite; --postgres URL too), MQTT end to end, range queries',
    load: async () => withOptions((await import('../bench/index.js')).benchIngest),
  },
  health: {
    help: '1,000,000 devices with a heartbeat a minute: CPU share, memory, deadline delay p99',
    load: async () => withOptions((await import('../health/index.js')).benchHealth),
  },
  retained: {
    help: 'SUBSCRIBE latency with 1,000,000 retained messages: Tsunagu vs Mosquitto vs the old scan',
    load: async () => withOptions((await import('../bench/index.js')).benchRetained),
  },
  cluster: {
    help: 'cross-node MQTT fan-out vs same node (2 nodes); --only kill: 3 nodes behind HAProxy, 10,000 devices, kill -9 of one; --only adopt: take-over times of a killed node (--sessions, --runs)',
    load: async () => (await import('../bench/index.js')).runClusterBenchCli,
  },
  schedules: {
    help: 'a year resolved at minute resolution; a 06:00 slot for N boilers: write + verify time, writes/s, CPU per execution',
    load: async () => (await import('../bench/index.js')).runSchedulesBenchCli,
  },
  jobs: {
    help: 'jobs: executions scheduled/s and CPU per execution, start-next/update answers/s, job status latency at N executions',
    load: async () => (await import('../bench/index.js')).runJobsBenchCli,
  },
  console: {
    help: 'console in chromium at 1,000 and 100,000 devices: fleet, device list, map — first content, time to interactive, JS heap',
    load: async () => (await import('../bench/index.js')).runConsoleBenchCli,
  },
  codec: {
    help: 'mqtt-packet parse and generate rates for a small QoS 0 PUBLISH',
    load: async () => (await import('../bench/index.js')).runCodecBenchCli,
  },
};

function usage(): string {
  const lines = Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(10)} ${b.help}`);
  return `usage: tsunagu bench <name> [options]   (tsunagu bench <name> --help for options)\n\n${lines.join('\n')}\n`;
}

export async function runBench(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return;
  }
  const bench = Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (!bench) {
    process.stderr.write(`tsunagu bench: unknown benchmark "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const main = await bench.load();
  await main(rest);
}
