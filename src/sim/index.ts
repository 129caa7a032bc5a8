/**
 * The fleet simulator and load generator (ARCHITECTURE.md: `sim/`). Public face: start a
 * simulated fleet against any MQTT server, run load/spike/soak tests, compare their results.
 */
export {
  startSimulation,
  type Simulation,
  type SimulationOptions,
  type SimulationState,
} from './simulation.js';
export { loadProfile, parseProfile, validateProfile, type Profile, type FaultSettings } from './profile.js';
export { BUILTIN_PROFILES } from './builtin-profiles.js';
export type { FaultKind, DeviceState, SimDevice } from './device.js';
export type { SimCounters, Percentiles } from './stats.js';
export { runLoadtest, type LoadtestOptions } from './loadtest.js';
export type { LoadtestResult, LoadMode } from './loadtest-result.js';
export { compareResults, readResult, type Comparison } from './compare.js';
export { parseSlo, type SloObjective } from './slo.js';
export { runSim, runLoadtestCli, SIM_USAGE, LOADTEST_USAGE } from './cli.js';
export { boilerSchedule, ensureSchedule, type SimScheduleOptions } from './schedule.js';
export { JobsAgent, type JobsAgentOptions, type JobsAgentStats } from './jobs-agent.js';
