/**
 * The `tsunagu sim` and `tsunagu loadtest` verbs: argument parsing and printing only; the work is
 * in simulation.ts and loadtest.ts.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TsunaguError } from '../core/index.js';
import type { ApiTarget } from './api-client.js';
import { compareResults, readResult } from './compare.js';
import { SimErrors } from './errors.js';
import { parseFaults, parseInject } from './faults.js';
import { runLoadtest } from './loadtest.js';
import type { LoadMode } from './loadtest-result.js';
import { formatComparison, formatCounters, formatResult } from './report.js';
import { boilerSchedule, ensureSchedule } from './schedule.js';
import { startSimulation } from './simulation.js';

export const SIM_USAGE = `usage: tsunagu sim --url mqtt://host:port [options]

  --url URL              MQTT server (plain TCP), e.g. mqtt://127.0.0.1:1883
  --devices N            number of simulated devices (default 10)
  --profile P            scooter | boiler | path/to/profile.yaml (default scooter)
  --api URL --token T    provision model, devices and per-device credentials through the HTTP API
                         (token also from TSUNAGU_TOKEN); without it devices connect
                         anonymously: client id = device id, no user name/password
                         (the broker must allow anonymous clients)
  --duration S           stop after S seconds (default 300)
  --speed X              simulated time runs X times faster (default 1)
  --telegram HOST:PORT   send the profile's telegram share as CSV telegrams over raw TCP
  --faults LIST          random fault rates, e.g. battery=2,burst=1,drop=0.5,flap=0.1,slow=0.2,malformed=0.05
  --inject K[:N]@S       inject fault K (battery|burst|drop|flap) into N devices S seconds in (repeatable)
  --connect-within S     spread the first connects over S seconds
  --id-prefix P          device ids P-00001… (default sim-<profile>)
  --seed N               random seed (default 1)
  --json                 print the final counters as JSON
  --schedule             with --api: create (or replace) a day-and-night schedule for the devices'
                         model (06:00 heat, 22:00 eco); the state due now is applied at once
`;

export const LOADTEST_USAGE = `usage: tsunagu loadtest --url mqtt://host:port --mode load|spike|soak [options]
       tsunagu loadtest compare a.json b.json

  --profile P            scooter | boiler | file.yaml (default scooter)
  --slo TEXT             e.g. "p99 command latency < 300ms" (p50|p95|p99, command|publish|ack|connect)
  --api URL --token T    send commands through the API and measure command latency
                         (without: QoS 1 publish→PUBACK latency is measured instead)
  --rate R               telemetry messages per second per device (default 1; spike: the profile's)
  --out FILE             save the result as JSON
 load:  --start N (100) --factor F (2) --max-devices N (10000) --step S (10)
        --max-error-rate X (0.01) --command-rate R (devices/50)
 spike: --devices N (1000) --within S (10)
 soak:  --devices N (100) --duration S (60) --windows W (6)
`;

function num(v: string | undefined, option: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n))
    throw SimErrors.optionInvalid(option, `expected a number, got "${v}"`);
  return n;
}

function apiTarget(api: string | undefined, token: string | undefined): ApiTarget | undefined {
  if (api === undefined) return undefined;
  const t = token ?? process.env.TSUNAGU_TOKEN;
  if (!t) throw SimErrors.optionInvalid('--token', '--api needs --token (or TSUNAGU_TOKEN)');
  try {
    new URL(api);
  } catch {
    throw SimErrors.optionInvalid('--api', `"${api}" is not a URL (expected http://host:port)`);
  }
  return { url: api, token: t };
}

export function runSim(argv: string[]): Promise<void> {
  return friendly('sim', () => sim(argv));
}

export function runLoadtestCli(argv: string[]): Promise<void> {
  return friendly('loadtest', () => loadtest(argv));
}

/** Bad input prints one clear line and exits 2 instead of a stack trace. */
async function friendly(verb: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof TsunaguError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`tsunagu ${verb}: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

async function sim(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      devices: { type: 'string' },
      profile: { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
      duration: { type: 'string' },
      speed: { type: 'string' },
      telegram: { type: 'string' },
      faults: { type: 'string' },
      inject: { type: 'string', multiple: true },
      'connect-within': { type: 'string' },
      'id-prefix': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      schedule: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    process.stdout.write(SIM_USAGE);
    return;
  }
  if (!v.url) throw SimErrors.optionInvalid('--url', `required\n\n${SIM_USAGE}`);
  const injects = (v.inject ?? []).map(parseInject);
  const api = apiTarget(v.api, v.token);
  if (v.schedule && !api) throw SimErrors.optionInvalid('--schedule', 'needs --api and --token');
  const connectWithinS = num(v['connect-within'], '--connect-within');
  const sim = await startSimulation({
    url: v.url,
    devices: num(v.devices, '--devices', 10)!,
    profile: v.profile ?? 'scooter',
    durationS: num(v.duration, '--duration', 300)!,
    speed: num(v.speed, '--speed', 1)!,
    seed: num(v.seed, '--seed', 1)!,
    ...(api ? { api } : {}),
    ...(v.telegram ? { telegram: v.telegram } : {}),
    ...(v.faults ? { faults: parseFaults(v.faults) } : {}),
    ...(v['id-prefix'] ? { idPrefix: v['id-prefix'] } : {}),
    ...(connectWithinS === undefined ? {} : { connectWithinS }),
  });
  if (v.schedule && api) {
    const id = await ensureSchedule(api, boilerSchedule(sim.profile.name));
    process.stdout.write(
      `schedule "sim: ${sim.profile.name} day and night" applied; executions: ${api.url}/api/v1/schedules/${id}/executions\n`,
    );
  }
  const t0 = Date.now();
  const timers = injects.map((p) =>
    setTimeout(() => {
      const n = sim.injectFault(p.kind, p.count);
      process.stdout.write(`injected ${p.kind} into ${n} device(s)\n`);
    }, p.atS * 1000),
  );
  // A ref'd interval keeps the process alive while devices wait to reconnect.
  const status = setInterval(
    () => process.stdout.write(formatCounters(sim.counters, (Date.now() - t0) / 1000)),
    5000,
  );
  const onSignal = (): void => void sim.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await sim.done;
  clearInterval(status);
  timers.forEach(clearTimeout);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const elapsed = (Date.now() - t0) / 1000;
  if (v.json)
    process.stdout.write(
      `${JSON.stringify({ counters: sim.counters, publishAckMs: sim.latency.publishAck.peek() })}\n`,
    );
  else {
    process.stdout.write(formatCounters(sim.counters, elapsed));
    const p = sim.latency.publishAck.peek();
    process.stdout.write(
      `publish→PUBACK ms: p50 ${p.p50.toFixed(2)} p95 ${p.p95.toFixed(2)} p99 ${p.p99.toFixed(2)} (${p.seen} acks)\n`,
    );
  }
}

async function loadtest(argv: string[]): Promise<void> {
  if (argv[0] === 'compare') {
    const [, a, b] = argv;
    if (!a || !b) throw SimErrors.optionInvalid('compare', `needs two result files\n\n${LOADTEST_USAGE}`);
    const c = compareResults(readResult(a), readResult(b));
    process.stdout.write(formatComparison(c));
    if (c.degraded) process.exitCode = 1;
    return;
  }
  const { values: v } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      profile: { type: 'string' },
      mode: { type: 'string' },
      slo: { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
      rate: { type: 'string' },
      out: { type: 'string' },
      start: { type: 'string' },
      factor: { type: 'string' },
      'max-devices': { type: 'string' },
      step: { type: 'string' },
      'max-error-rate': { type: 'string' },
      'command-rate': { type: 'string' },
      devices: { type: 'string' },
      within: { type: 'string' },
      duration: { type: 'string' },
      windows: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    process.stdout.write(LOADTEST_USAGE);
    return;
  }
  if (!v.url) throw SimErrors.optionInvalid('--url', `required\n\n${LOADTEST_USAGE}`);
  const mode = (v.mode ?? 'load') as LoadMode;
  if (!['load', 'spike', 'soak'].includes(mode))
    throw SimErrors.optionInvalid('--mode', `load, spike or soak, got "${v.mode}"`);
  const api = apiTarget(v.api, v.token);
  const opt = (key: string, value: number | undefined): Record<string, number> =>
    value === undefined ? {} : { [key]: value };
  const result = await runLoadtest({
    url: v.url,
    profile: v.profile ?? 'scooter',
    mode,
    ...(api ? { api } : {}),
    ...(v.slo ? { slo: v.slo } : {}),
    ...opt('ratePerDevice', num(v.rate, '--rate')),
    ...opt('startDevices', num(v.start, '--start')),
    ...opt('factor', num(v.factor, '--factor')),
    ...opt('maxDevices', num(v['max-devices'], '--max-devices')),
    ...opt('stepS', num(v.step, '--step')),
    ...opt('maxErrorRate', num(v['max-error-rate'], '--max-error-rate')),
    ...opt('commandRate', num(v['command-rate'], '--command-rate')),
    ...opt('devices', num(v.devices, '--devices')),
    ...opt('withinS', num(v.within, '--within')),
    ...opt('durationS', num(v.duration, '--duration')),
    ...opt('windows', num(v.windows, '--windows')),
    ...opt('seed', num(v.seed, '--seed')),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${formatResult(result)}`);
  if (v.out) {
    writeFileSync(v.out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`saved ${v.out}\n`);
  }
}
