/** Benchmarks behind `tsunagu bench <name>`: the broker comparison and the codec micro-benchmark. */
export { runBrokerBench, runBrokerBenchCli, formatReport } from './broker-bench.js';
export type { BrokerBenchOptions, BrokerBenchResults } from './broker-bench.js';
export { runCodecBenchCli } from './codec-bench.js';
