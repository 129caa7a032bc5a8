/**
 * Device profiles are data (YAML): how often a device talks, what it says, how it answers
 * commands and how it fails. `loadProfile` accepts a built-in name or a file; a file may
 * `extends:` a built-in and override fields. Validation names the field that is wrong.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_PROFILES } from './builtin-profiles.js';
import { SimErrors } from './errors.js';
import type { Distribution } from './rng.js';

export type ProfileKind = 'scooter' | 'boiler';
export type Severity = 'info' | 'warning' | 'error' | 'critical';
/** How the last field of a CSV telegram is computed (see telegram.ts). */
export type TelegramChecksum = 'none' | 'crc16-ccitt' | 'xor8';

export interface EventCode {
  code: string;
  severity: Severity;
  message: string;
}

export interface FaultSettings {
  batteryPerHour: number;
  burstPerHour: number;
  burstSize: number;
  dropPerHour: number;
  dropDownS: number;
  flapPerHour: number;
  flapCycles: number;
  flapPeriodS: number;
  slowReplyShare: number;
  slowReplyExtraMs: number;
  malformedShare: number;
}

export interface ScooterSettings {
  route: [number, number][];
  tripsPerHour: number;
  tripDurationS: [number, number];
  speedKmh: [number, number];
  batteryStartPct: [number, number];
  drainPctPerKm: number;
}

export interface Reading {
  mean: number;
  sd: number;
}

export interface BoilerSettings {
  readings: { flowTemp: Reading; returnTemp: Reading; co2: Reading; humidity: Reading };
  setpoints: {
    applyDelayS: [number, number];
    initial: Record<string, string | number | boolean>;
    /** Share of desired changes the boiler ignores (a schedule's verification then re-sends). */
    refuseRate: number;
  };
}

export interface Profile {
  name: string;
  kind: ProfileKind;
  heartbeat: { intervalS: number };
  telemetry: { intervalS: number; idleIntervalS: number };
  commands: { latency: Distribution; failureRate: number };
  events: { ratePerHour: number; codes: EventCode[] };
  faults: FaultSettings;
  telegram: { share: number; checksum: TelegramChecksum };
  scooter?: ScooterSettings;
  boiler?: BoilerSettings;
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(private readonly source: string) {}

  fail(path: string, why: string): never {
    throw SimErrors.profileInvalid(this.source, path, why);
  }

  obj(v: unknown, path: string, allowed: readonly string[]): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      this.fail(path, `must be a mapping, got ${show(v)}`);
    for (const k of Object.keys(v))
      if (!allowed.includes(k))
        this.fail(path === '' ? k : `${path}.${k}`, `unknown field (expected one of: ${allowed.join(', ')})`);
    return v as Obj;
  }

  num(v: unknown, path: string, min: number, max = Infinity, integer = false): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, `must be a number, got ${show(v)}`);
    if (integer && !Number.isInteger(v)) this.fail(path, `must be an integer, got ${v}`);
    if (v < min || v > max)
      this.fail(path, `must be between ${min} and ${max === Infinity ? '∞' : max}, got ${v}`);
    return v;
  }

  str(v: unknown, path: string, allowed?: readonly string[]): string {
    if (typeof v !== 'string' || v === '') this.fail(path, `must be a non-empty string, got ${show(v)}`);
    if (allowed && !allowed.includes(v)) this.fail(path, `must be one of ${allowed.join(', ')}, got "${v}"`);
    return v;
  }

  range(v: unknown, path: string, min: number, max = Infinity): [number, number] {
    if (!Array.isArray(v) || v.length !== 2) this.fail(path, `must be a list [min, max], got ${show(v)}`);
    const a = this.num(v[0], `${path}[0]`, min, max);
    const b = this.num(v[1], `${path}[1]`, min, max);
    if (b < a) this.fail(path, `max (${b}) is below min (${a})`);
    return [a, b];
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  return JSON.stringify(v) ?? typeof v;
}

const TOP = [
  'name',
  'extends',
  'kind',
  'heartbeat',
  'telemetry',
  'commands',
  'events',
  'faults',
  'telegram',
  'scooter',
  'boiler',
] as const;
const FAULT_KEYS = [
  'batteryPerHour',
  'burstPerHour',
  'burstSize',
  'dropPerHour',
  'dropDownS',
  'flapPerHour',
  'flapCycles',
  'flapPeriodS',
  'slowReplyShare',
  'slowReplyExtraMs',
  'malformedShare',
] as const;

function distribution(c: Checker, v: unknown, path: string): Distribution {
  const o = c.obj(v, path, ['dist', 'ms', 'minMs', 'maxMs', 'p50Ms', 'p99Ms']);
  const dist = c.str(o.dist, `${path}.dist`, ['fixed', 'uniform', 'lognormal']);
  if (dist === 'fixed') return { dist, ms: c.num(o.ms, `${path}.ms`, 0) };
  if (dist === 'uniform') {
    const minMs = c.num(o.minMs, `${path}.minMs`, 0);
    const maxMs = c.num(o.maxMs, `${path}.maxMs`, minMs);
    return { dist, minMs, maxMs };
  }
  const p50Ms = c.num(o.p50Ms, `${path}.p50Ms`, 0);
  return { dist: 'lognormal', p50Ms, p99Ms: c.num(o.p99Ms, `${path}.p99Ms`, p50Ms) };
}

function reading(c: Checker, v: unknown, path: string): Reading {
  const o = c.obj(v, path, ['mean', 'sd']);
  return { mean: c.num(o.mean, `${path}.mean`, -1e9), sd: c.num(o.sd, `${path}.sd`, 0) };
}

/** Validate a parsed profile document; throws SIM_PROFILE_INVALID naming the field. */
export function validateProfile(doc: unknown, source: string): Profile {
  const c = new Checker(source);
  const o = c.obj(doc, '', TOP);
  const name = c.str(o.name, 'name');
  const kind = c.str(o.kind, 'kind', ['scooter', 'boiler']) as ProfileKind;
  const hb = c.obj(o.heartbeat, 'heartbeat', ['intervalS']);
  const tel = c.obj(o.telemetry, 'telemetry', ['intervalS', 'idleIntervalS']);
  const cmd = c.obj(o.commands, 'commands', ['latency', 'failureRate']);
  const ev = c.obj(o.events, 'events', ['ratePerHour', 'codes']);
  if (!Array.isArray(ev.codes) || ev.codes.length === 0)
    c.fail('events.codes', `must be a non-empty list, got ${show(ev.codes)}`);
  const codes = (ev.codes as unknown[]).map((e, i) => {
    const p = `events.codes[${i}]`;
    const x = c.obj(e, p, ['code', 'severity', 'message']);
    return {
      code: c.str(x.code, `${p}.code`),
      severity: c.str(x.severity, `${p}.severity`, ['info', 'warning', 'error', 'critical']) as Severity,
      message: c.str(x.message, `${p}.message`),
    };
  });
  const f = c.obj(o.faults, 'faults', FAULT_KEYS);
  const share = (k: string): number => c.num(f[k], `faults.${k}`, 0, 1);
  const rate = (k: string): number => c.num(f[k], `faults.${k}`, 0);
  const faults: FaultSettings = {
    batteryPerHour: rate('batteryPerHour'),
    burstPerHour: rate('burstPerHour'),
    burstSize: c.num(f.burstSize, 'faults.burstSize', 1, 1000, true),
    dropPerHour: rate('dropPerHour'),
    dropDownS: c.num(f.dropDownS, 'faults.dropDownS', 0),
    flapPerHour: rate('flapPerHour'),
    flapCycles: c.num(f.flapCycles, 'faults.flapCycles', 1, 1000, true),
    flapPeriodS: c.num(f.flapPeriodS, 'faults.flapPeriodS', 0.01),
    slowReplyShare: share('slowReplyShare'),
    slowReplyExtraMs: c.num(f.slowReplyExtraMs, 'faults.slowReplyExtraMs', 0),
    malformedShare: share('malformedShare'),
  };
  const tg = c.obj(o.telegram, 'telegram', ['share', 'checksum']);
  const profile: Profile = {
    name,
    kind,
    heartbeat: { intervalS: c.num(hb.intervalS, 'heartbeat.intervalS', 0.001) },
    telemetry: {
      intervalS: c.num(tel.intervalS, 'telemetry.intervalS', 0.001),
      idleIntervalS: c.num(tel.idleIntervalS, 'telemetry.idleIntervalS', 0.001),
    },
    commands: {
      latency: distribution(c, cmd.latency, 'commands.latency'),
      failureRate: c.num(cmd.failureRate, 'commands.failureRate', 0, 1),
    },
    events: { ratePerHour: c.num(ev.ratePerHour, 'events.ratePerHour', 0), codes },
    faults,
    telegram: {
      share: c.num(tg.share, 'telegram.share', 0, 1),
      checksum: c.str(tg.checksum, 'telegram.checksum', ['none', 'crc16-ccitt', 'xor8']) as TelegramChecksum,
    },
  };
  if (kind === 'scooter') {
    if (o.boiler !== undefined) c.fail('boiler', 'only allowed when kind is boiler');
    const s = c.obj(o.scooter, 'scooter', [
      'route',
      'tripsPerHour',
      'tripDurationS',
      'speedKmh',
      'batteryStartPct',
      'drainPctPerKm',
    ]);
    if (!Array.isArray(s.route) || s.route.length < 2)
      c.fail('scooter.route', `must be a list of at least 2 [lat, lon] points, got ${show(s.route)}`);
    const route = (s.route as unknown[]).map((pt, i): [number, number] => {
      const p = `scooter.route[${i}]`;
      if (!Array.isArray(pt) || pt.length !== 2) c.fail(p, `must be [lat, lon], got ${show(pt)}`);
      const [lat, lon] = pt as unknown[];
      return [c.num(lat, `${p}[0]`, -90, 90), c.num(lon, `${p}[1]`, -180, 180)];
    });
    profile.scooter = {
      route,
      tripsPerHour: c.num(s.tripsPerHour, 'scooter.tripsPerHour', 0),
      tripDurationS: c.range(s.tripDurationS, 'scooter.tripDurationS', 1),
      speedKmh: c.range(s.speedKmh, 'scooter.speedKmh', 0, 100),
      batteryStartPct: c.range(s.batteryStartPct, 'scooter.batteryStartPct', 0, 100),
      drainPctPerKm: c.num(s.drainPctPerKm, 'scooter.drainPctPerKm', 0, 100),
    };
  } else {
    if (o.scooter !== undefined) c.fail('scooter', 'only allowed when kind is scooter');
    const b = c.obj(o.boiler, 'boiler', ['readings', 'setpoints']);
    const r = c.obj(b.readings, 'boiler.readings', ['flowTemp', 'returnTemp', 'co2', 'humidity']);
    const sp = c.obj(b.setpoints, 'boiler.setpoints', ['applyDelayS', 'initial', 'refuseRate']);
    const initial = c.obj(sp.initial, 'boiler.setpoints.initial', Object.keys(sp.initial ?? {}));
    for (const [k, v] of Object.entries(initial))
      if (!['string', 'number', 'boolean'].includes(typeof v))
        c.fail(`boiler.setpoints.initial.${k}`, `must be a string, number or boolean, got ${show(v)}`);
    profile.boiler = {
      readings: {
        flowTemp: reading(c, r.flowTemp, 'boiler.readings.flowTemp'),
        returnTemp: reading(c, r.returnTemp, 'boiler.readings.returnTemp'),
        co2: reading(c, r.co2, 'boiler.readings.co2'),
        humidity: reading(c, r.humidity, 'boiler.readings.humidity'),
      },
      setpoints: {
        applyDelayS: c.range(sp.applyDelayS, 'boiler.setpoints.applyDelayS', 0),
        initial: initial as Record<string, string | number | boolean>,
        refuseRate:
          sp.refuseRate === undefined ? 0 : c.num(sp.refuseRate, 'boiler.setpoints.refuseRate', 0, 1),
      },
    };
  }
  return profile;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (
    typeof base === 'object' &&
    base !== null &&
    !Array.isArray(base) &&
    typeof over === 'object' &&
    over !== null &&
    !Array.isArray(over)
  ) {
    const out: Obj = { ...(base as Obj) };
    for (const [k, v] of Object.entries(over as Obj)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return over === undefined ? base : over;
}

/** Parse profile YAML text; `extends: scooter|boiler` merges the file over that built-in. */
export function parseProfile(text: string, source: string): Profile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw SimErrors.profileInvalid(source, '(yaml)', err instanceof Error ? err.message : String(err));
  }
  if (typeof doc === 'object' && doc !== null && 'extends' in doc) {
    const base = (doc as Obj).extends;
    if (typeof base !== 'string' || BUILTIN_PROFILES[base] === undefined)
      throw SimErrors.profileInvalid(
        source,
        'extends',
        `must name a built-in profile (${Object.keys(BUILTIN_PROFILES).join(', ')}), got ${show(base)}`,
      );
    const merged = deepMerge(parseYaml(BUILTIN_PROFILES[base]), doc) as Obj;
    delete merged.extends;
    doc = merged;
  }
  return validateProfile(doc, source);
}

/** A built-in profile name (`scooter`, `boiler`) or a path to a YAML file. */
export function loadProfile(nameOrPath: string): Profile {
  const builtin = BUILTIN_PROFILES[nameOrPath];
  if (builtin !== undefined) return parseProfile(builtin, `"${nameOrPath}" (built-in)`);
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch {
    throw SimErrors.profileNotFound(nameOrPath);
  }
  return parseProfile(text, nameOrPath);
}
