/**
 * Benchmarks behind `tsunagu bench <name>` that need more than one module: the broker comparison,
 * the codec micro-benchmark, retained SUBSCRIBE latency, and the whole-app benchmarks (shadows,
 * commands, the ingest run with its end-to-end MQTT row). Modules keep benchmarks of their own
 * internals (registry, health, slo, telemetry) and export them from their index.
 */
import {
  benchIngest as benchIngestStores,
  type BenchIngestOptions,
  type BenchIngestResult,
} from '../telemetry/index.js';
import { benchMqttIngest } from './ingest-mqtt.js';

export { runBrokerBench, runBrokerBenchCli, formatReport } from './broker-bench.js';
export type { BrokerBenchOptions, BrokerBenchResults } from './broker-bench.js';
export { runCodecBenchCli } from './codec-bench.js';
export { benchConsole, runConsoleBenchCli } from './console-render.js';
export { benchRetained, type RetainedBenchOptions } from './retained-bench.js';
export { benchShadows, runShadowBenchCli } from './shadows-bench.js';
export { runSchedulesBenchCli } from './schedules-bench.js';
export { benchRules } from './rules-bench.js';
export { runJobsBenchCli } from './jobs-bench.js';
export { benchCommands, runCommandBenchCli } from './commands-bench.js';
export { runTracingBenchCli } from './tracing-bench.js';
export { benchCluster, runClusterBenchCli, type ClusterBenchRow } from './cluster-bench.js';

/** `tsunagu bench ingest`: telemetry's decoder and store rates plus the end-to-end MQTT row. */
export async function benchIngest(opts: BenchIngestOptions = {}): Promise<BenchIngestResult> {
  return benchIngestStores({
    mqttIngest: (devices, perDevice) => benchMqttIngest(devices, perDevice),
    ...opts,
  });
}
