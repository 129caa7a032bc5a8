/**
 * Job scheduling (AWS `schedulingConfig`, with Tsunagu's recurring maintenance windows in a time
 * zone): a start time before which nothing is released, an end time after which the rollout stops
 * (`endBehavior`), and windows outside which nothing is released. Pure: the scheduler asks
 * `schedulePhase(schedule, now)` on every pass (under the job's ownership lease) and acts.
 *
 * Windows are `{recurrence, startTime: "HH:mm", durationInMinutes}` in the job's `timeZone`: the
 * RRULE (RFC 5545, FREQ=DAILY/WEEKLY/MONTHLY/YEARLY) picks local dates, evaluated as floating dates
 * (rrule works in UTC fields, read as local dates, so a rule never shifts across DST); `startTime`
 * is the local wall time the window opens on each such date (DST: see `wallTime`).
 */
import { DateTime, IANAZone } from 'luxon';
import rrulePkg from 'rrule';
import { JobErrors } from './errors.js';

const { rrulestr } = rrulePkg;
const MINUTE = 60_000;
const DAY = 86_400_000;
/** How far ahead the next window is looked for. */
const HORIZON_DAYS = 400;
export const MAX_WINDOWS = 10;

export interface MaintenanceWindow {
  /** RRULE choosing the local dates, e.g. `FREQ=WEEKLY;BYDAY=SA,SU`. */
  recurrence: string;
  /** Local wall time the window opens, `HH:mm`. */
  startTime: string;
  durationInMinutes: number;
}

/** AWS `endBehavior`: what the end time does. */
export type EndBehavior = 'STOP_ROLLOUT' | 'CANCEL' | 'FORCE_CANCEL';

/** The request's `schedulingConfig`. */
export interface SchedulingInput {
  startTime?: string;
  endTime?: string;
  endBehavior?: EndBehavior;
  timeZone?: string;
  maintenanceWindows?: MaintenanceWindow[];
}

/** As stored in the job's config. */
export interface JobSchedule {
  startAt: number | null;
  endAt: number | null;
  endBehavior: EndBehavior;
  timeZone: string;
  windows: MaintenanceWindow[];
}

/**
 * Where a job's schedule stands at an instant:
 * - `before-start` the start time is ahead: nothing is released
 * - `closed`       between start and end, outside every maintenance window: nothing is released
 * - `open`         releasing is allowed (no windows, or inside one)
 * - `ended`        the end time passed: `endBehavior` applies
 */
export type SchedulePhase = 'before-start' | 'closed' | 'open' | 'ended';

export interface ScheduleState {
  phase: SchedulePhase;
  /** When releasing is next allowed (phase before-start or closed), if within the horizon. */
  opensAt: number | null;
  /** When the current open period ends (the window's end or the end time), if it does. */
  closesAt: number | null;
}

const invalid = (field: string, why: string) => JobErrors.invalid(`schedulingConfig.${field}`, why);
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function instant(text: string, zone: string, field: string): number {
  const t = DateTime.fromISO(text, { zone, setZone: true });
  if (!t.isValid) throw invalid(field, `"${text}" is not an ISO 8601 date and time`);
  return t.toMillis();
}

function parseRule(text: string, field: string): ReturnType<typeof rrulestr> {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (!/^[A-Z0-9=;,+-]+$/i.test(body) || body.length > 500)
    throw invalid(field, 'one RRULE line such as FREQ=WEEKLY;BYDAY=SA,SU');
  const freq = /(?:^|;)FREQ=([A-Z]+)/i.exec(body)?.[1]?.toUpperCase();
  if (!freq || !['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(freq))
    throw invalid(field, 'FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY (the time of day is startTime)');
  try {
    return rrulestr(`DTSTART:19700101T000000Z\nRRULE:${body}`, { forceset: true });
  } catch (err) {
    throw invalid(field, `not a valid RRULE: ${(err as Error).message}`);
  }
}

/** Validate the request's `schedulingConfig`; `now` rejects an end time already past. */
export function parseScheduling(input: SchedulingInput, now: number): JobSchedule {
  const timeZone = input.timeZone ?? 'UTC';
  if (!IANAZone.isValidZone(timeZone)) throw invalid('timeZone', `unknown IANA time zone "${timeZone}"`);
  const startAt = input.startTime !== undefined ? instant(input.startTime, timeZone, 'startTime') : null;
  const endAt = input.endTime !== undefined ? instant(input.endTime, timeZone, 'endTime') : null;
  if (endAt !== null && endAt <= (startAt ?? now))
    throw invalid('endTime', `must be after ${startAt !== null ? 'startTime' : 'now'}`);
  const windows = input.maintenanceWindows ?? [];
  if (windows.length > MAX_WINDOWS) throw invalid('maintenanceWindows', `at most ${MAX_WINDOWS}`);
  windows.forEach((w, i) => {
    const f = `maintenanceWindows[${i}]`;
    if (!HHMM.test(w.startTime))
      throw invalid(
        `${f}.startTime`,
        `"${w.startTime}" is not HH:mm (AWS cron() expressions are not supported; put the days in recurrence)`,
      );
    parseRule(w.recurrence, `${f}.recurrence`);
  });
  return { startAt, endAt, endBehavior: input.endBehavior ?? 'STOP_ROLLOUT', timeZone, windows };
}

interface Interval {
  from: number;
  to: number;
}

const rules = new Map<string, ReturnType<typeof rrulestr>>();

/**
 * The instant of a local wall time. In a spring-forward gap luxon moves it forward by the gap's
 * length (02:30 → 03:30 in Europe/Berlin on the last Sunday of March); in a fall-back overlap we take
 * the first of the two instants (luxon picks the second), so the window opens as early as it can.
 */
export function wallTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  zone: string,
): number {
  const t = DateTime.fromObject({ year, month, day, hour, minute }, { zone }).toMillis();
  for (const back of [60, 30]) {
    const c = DateTime.fromMillis(t - back * MINUTE, { zone });
    if (c.day === day && c.hour === hour && c.minute === minute) return c.toMillis();
  }
  return t;
}

const yearDays = new Map<string, Set<number>>();

/**
 * Floating day numbers (days since 1970-01-01) on which the rule occurs in `year`, cached: rrule
 * iterates from DTSTART, so each (rule, year) is expanded once, not on every scheduler pass.
 */
function daysOf(recurrence: string, year: number): Set<number> {
  const key = `${year}\u0000${recurrence}`;
  let set = yearDays.get(key);
  if (!set) {
    let rule = rules.get(recurrence);
    if (!rule) {
      rule = parseRule(recurrence, 'recurrence');
      if (rules.size > 1000) rules.clear();
      rules.set(recurrence, rule);
    }
    const from = new Date(Date.UTC(year, 0, 1));
    const to = new Date(Date.UTC(year + 1, 0, 1) - 1);
    set = new Set(rule.between(from, to, true).map((d) => Math.floor(d.getTime() / DAY)));
    if (yearDays.size > 10_000) yearDays.clear();
    yearDays.set(key, set);
  }
  return set;
}

/** The window's occurrences as instants that overlap [from, to). */
function occurrences(w: MaintenanceWindow, zone: string, from: number, to: number): Interval[] {
  const [hh, mm] = w.startTime.split(':').map(Number) as [number, number];
  const span = w.durationInMinutes * MINUTE;
  // Local dates from a day before `from` minus the duration (a window opened earlier may still be open).
  const dayOf = (ms: number): number => {
    const t = DateTime.fromMillis(ms, { zone });
    return Math.floor(Date.UTC(t.year, t.month - 1, t.day) / DAY);
  };
  const out: Interval[] = [];
  for (let day = dayOf(from - span - DAY), last = dayOf(to + DAY); day <= last; day++) {
    const d = new Date(day * DAY);
    if (!daysOf(w.recurrence, d.getUTCFullYear()).has(day)) continue;
    const open = wallTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), hh, mm, zone);
    if (open + span > from && open < to) out.push({ from: open, to: open + span });
  }
  return out;
}

/** The windows' open intervals overlapping [from, to), merged and sorted. */
export function windowIntervals(s: JobSchedule, from: number, to: number): Interval[] {
  const all = s.windows.flatMap((w) => occurrences(w, s.timeZone, from, to)).sort((a, b) => a.from - b.from);
  const merged: Interval[] = [];
  for (const i of all) {
    const top = merged.at(-1);
    if (top && i.from <= top.to) top.to = Math.max(top.to, i.to);
    else merged.push({ ...i });
  }
  return merged;
}

/** The first window interval still open at or after `from` (a week's look first, then the horizon). */
function nextWindow(s: JobSchedule, from: number): Interval | undefined {
  for (const days of [8, HORIZON_DAYS]) {
    const hit = windowIntervals(s, from, from + days * DAY).find((i) => i.to > from);
    if (hit) return hit;
  }
  return undefined;
}

export function schedulePhase(s: JobSchedule, now: number): ScheduleState {
  const endAt = s.endAt ?? Infinity;
  if (now >= endAt) return { phase: 'ended', opensAt: null, closesAt: null };
  const waiting = s.startAt !== null && now < s.startAt ? 'before-start' : 'closed';
  const from = Math.max(now, s.startAt ?? now);
  const next = s.windows.length ? nextWindow(s, from) : { from, to: Infinity };
  const opensAt = next ? Math.max(next.from, from) : Infinity;
  if (opensAt >= endAt || opensAt === Infinity) return { phase: waiting, opensAt: null, closesAt: null };
  if (opensAt > now) return { phase: waiting, opensAt, closesAt: null };
  const closesAt = Math.min(next!.to, endAt);
  return { phase: 'open', opensAt: null, closesAt: Number.isFinite(closesAt) ? closesAt : null };
}
