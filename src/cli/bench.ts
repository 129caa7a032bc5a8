/**
 * `tsunagu bench <name> [options]`. Each benchmark is looked up by name and loaded only when used;
 * add new ones to BENCHMARKS.
 */
type BenchMain = (args: string[]) => Promise<void>;

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
