/**
 * Schedule input → a checked `ScheduleInput`. Every problem is a 422 naming the field by its path
 * (`rules[1].slots[0].time`), never a 500 later when the resolver meets it.
 */
import { ScheduleErrors } from './errors.js';
import { isValidZone, parseDate, parseTime } from './local-time.js';
import { parseRecurrence } from './recurrence.js';
import {
  DEFAULT_VERIFY,
  WEEKDAYS,
  type DayMatcher,
  type DayName,
  type Exception,
  type OverrideMode,
  type Rule,
  type Schedule,
  type Slot,
  type Targets,
  type VerifyPolicy,
} from './types.js';

/** What a client sends to create or replace a schedule. */
export type ScheduleInput = Omit<Schedule, 'id' | 'version' | 'createdAt' | 'updatedAt'>;

export const LIMITS = {
  rules: 100,
  slotsPerRule: 96,
  exceptions: 1000,
  holidayLists: 50,
  datesPerList: 5000,
};
const DAY_NAMES: readonly string[] = [...WEEKDAYS, 'weekday', 'weekend'];
const OVERRIDE_MODES: readonly string[] = ['until_next_slot', 'until_cleared'];

const bad = (field: string, why: string): never => {
  throw ScheduleErrors.invalid(field, why);
};
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, field: string, max = 200): string {
  if (typeof v !== 'string') return bad(field, 'must be a string');
  if (v.length > max) return bad(field, `must be at most ${max} characters`);
  return v;
}

function arr(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) return bad(field, 'must be an array');
  if (v.length > max) return bad(field, `must have at most ${max} entries`);
  return v;
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  return arr(v, field, 10_000).map((s, i) => str(s, `${field}[${i}]`));
}

function slot(v: unknown, field: string): Slot {
  if (!isObject(v)) return bad(field, 'must be an object {time, patch}');
  const time = str(v.time, `${field}.time`, 5);
  if (parseTime(time) === undefined) bad(`${field}.time`, 'must be a wall time HH:MM (00:00–23:59)');
  if (!isObject(v.patch)) return bad(`${field}.patch`, 'must be a JSON object (the desired-state patch)');
  if (Object.keys(v.patch).length === 0) bad(`${field}.patch`, 'must set at least one key');
  return { time, patch: v.patch };
}

function slots(v: unknown, field: string): Slot[] {
  const out = arr(v, field, LIMITS.slotsPerRule).map((s, i) => slot(s, `${field}[${i}]`));
  const seen = new Set<string>();
  out.forEach((s, i) => {
    if (seen.has(s.time)) bad(`${field}[${i}].time`, `${s.time} appears twice`);
    seen.add(s.time);
  });
  return out;
}

function rangeEnd(v: unknown, field: string): string {
  const s = str(v, field, 10);
  const ok = s.length === 5 ? parseDate(`2024-${s}`) !== undefined : parseDate(s) !== undefined;
  if (!ok) bad(field, 'must be a date MM-DD (every year) or YYYY-MM-DD');
  return s;
}

function matcher(v: unknown, field: string, holidays: Record<string, string[]>): DayMatcher {
  if (v === undefined) return {};
  if (!isObject(v)) return bad(field, 'must be an object');
  const out: DayMatcher = {};
  for (const k of Object.keys(v))
    if (!['days', 'holidays', 'between', 'rrule'].includes(k)) bad(`${field}.${k}`, 'unknown condition');
  if (v.days !== undefined) {
    out.days = strings(v.days, `${field}.days`).map((d, i) =>
      DAY_NAMES.includes(d)
        ? (d as DayName)
        : bad(`${field}.days[${i}]`, `must be one of ${DAY_NAMES.join(', ')}`),
    );
  }
  if (v.holidays !== undefined) {
    out.holidays = strings(v.holidays, `${field}.holidays`);
    out.holidays.forEach((h, i) => {
      if (!(h in holidays)) bad(`${field}.holidays[${i}]`, `no holiday list named ${h}`);
    });
  }
  if (v.between !== undefined) {
    if (!isObject(v.between)) return bad(`${field}.between`, 'must be {from, to}');
    const from = rangeEnd(v.between.from, `${field}.between.from`);
    const to = rangeEnd(v.between.to, `${field}.between.to`);
    if (from.length !== to.length)
      bad(`${field}.between.to`, 'must have the same form as from (MM-DD or YYYY-MM-DD)');
    if (from.length === 10 && to < from) bad(`${field}.between.to`, 'must not be before from');
    out.between = { from, to };
  }
  if (v.rrule !== undefined) {
    const text = str(v.rrule, `${field}.rrule`, 2000);
    try {
      parseRecurrence(text);
    } catch (err) {
      bad(`${field}.rrule`, `not an RRULE: ${(err as Error).message}`);
    }
    out.rrule = text;
  }
  return out;
}

function holidayLists(v: unknown, field: string): Record<string, string[]> {
  if (v === undefined) return {};
  if (!isObject(v)) return bad(field, 'must be an object: list name → dates');
  if (Object.keys(v).length > LIMITS.holidayLists) bad(field, `at most ${LIMITS.holidayLists} lists`);
  const out: Record<string, string[]> = {};
  for (const [name, dates] of Object.entries(v)) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
      bad(`${field}.${name}`, 'list names use letters, digits, _ . - (max 64)');
    out[name] = arr(dates, `${field}.${name}`, LIMITS.datesPerList).map((d, i) => {
      const s = str(d, `${field}.${name}[${i}]`, 10);
      if (parseDate(s) === undefined) bad(`${field}.${name}[${i}]`, 'must be a date YYYY-MM-DD');
      return s;
    });
  }
  return out;
}

function int(v: unknown, field: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    return bad(field, `must be an integer from ${min} to ${max}`);
  return v;
}

function verify(v: unknown): VerifyPolicy {
  if (v === undefined) return { ...DEFAULT_VERIFY };
  if (!isObject(v)) return bad('verify', 'must be an object');
  return {
    timeoutMs: int(v.timeoutMs, 'verify.timeoutMs', 100, 86_400_000, DEFAULT_VERIFY.timeoutMs),
    attempts: int(v.attempts, 'verify.attempts', 1, 20, DEFAULT_VERIFY.attempts),
    backoffMs: int(v.backoffMs, 'verify.backoffMs', 0, 86_400_000, DEFAULT_VERIFY.backoffMs),
    maxBackoffMs: int(v.maxBackoffMs, 'verify.maxBackoffMs', 0, 86_400_000, DEFAULT_VERIFY.maxBackoffMs),
  };
}

function targets(v: unknown): Targets {
  if (v === undefined) return { devices: [], models: [], tags: [] };
  if (!isObject(v)) return bad('targets', 'must be an object {devices, models, tags}');
  return {
    devices: strings(v.devices, 'targets.devices'),
    models: strings(v.models, 'targets.models'),
    tags: strings(v.tags, 'targets.tags'),
  };
}

export function validateSchedule(body: unknown): ScheduleInput {
  if (!isObject(body)) return bad('body', 'must be a JSON object');
  const name = str(body.name, 'name');
  if (name.trim() === '') bad('name', 'must not be empty');
  const timezone = str(body.timezone, 'timezone', 64);
  if (!isValidZone(timezone)) bad('timezone', `unknown IANA time zone ${timezone}`);
  const holidays = holidayLists(body.holidays, 'holidays');
  const rules: Rule[] = arr(body.rules, 'rules', LIMITS.rules).map((r, i) => {
    const f = `rules[${i}]`;
    if (!isObject(r)) return bad(f, 'must be an object {name, when, slots}');
    return {
      name: str(r.name ?? `rule ${i + 1}`, `${f}.name`),
      when: matcher(r.when, `${f}.when`, holidays),
      slots: slots(r.slots, `${f}.slots`),
    };
  });
  const exceptions: Exception[] = (
    body.exceptions === undefined ? [] : arr(body.exceptions, 'exceptions', LIMITS.exceptions)
  ).map((e, i) => {
    const f = `exceptions[${i}]`;
    if (!isObject(e)) return bad(f, 'must be an object {date, slots}');
    const date = str(e.date, `${f}.date`, 10);
    if (parseDate(date) === undefined) bad(`${f}.date`, 'must be a date YYYY-MM-DD');
    const out: Exception = { date, slots: slots(e.slots ?? [], `${f}.slots`) };
    if (e.note !== undefined) out.note = str(e.note, `${f}.note`, 500);
    return out;
  });
  const dates = new Set<string>();
  exceptions.forEach((e, i) => {
    if (dates.has(e.date)) bad(`exceptions[${i}].date`, `${e.date} appears twice`);
    dates.add(e.date);
  });
  const overrideMode =
    body.overrideMode === undefined ? 'until_next_slot' : str(body.overrideMode, 'overrideMode');
  if (!OVERRIDE_MODES.includes(overrideMode))
    bad('overrideMode', `must be one of ${OVERRIDE_MODES.join(', ')}`);
  let zoneAttribute: string | null = 'timezone';
  if (body.zoneAttribute === null) zoneAttribute = null;
  else if (body.zoneAttribute !== undefined) zoneAttribute = str(body.zoneAttribute, 'zoneAttribute', 64);
  if (body.enabled !== undefined && typeof body.enabled !== 'boolean')
    bad('enabled', 'must be true or false');
  const shadowName = body.shadowName === undefined ? '' : str(body.shadowName, 'shadowName', 64);
  if (!/^[A-Za-z0-9:_-]*$/.test(shadowName)) bad('shadowName', 'shadow names use letters, digits, : _ -');
  return {
    name,
    enabled: body.enabled !== false,
    timezone,
    zoneAttribute,
    targets: targets(body.targets),
    shadowName,
    rules,
    exceptions,
    holidays,
    overrideMode: overrideMode as OverrideMode,
    verify: verify(body.verify),
  };
}
