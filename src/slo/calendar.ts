/**
 * Calendar-aligned SLO windows (OpenSLO `calendar` time windows): the current week (ISO, from
 * Monday), month or quarter in an IANA time zone. Local midnight is turned into an instant with
 * Intl.DateTimeFormat, so a month in Europe/Berlin that contains a DST change is 743 or 745 hours
 * long, as it is on the wall clock.
 */
import type { CalendarUnit } from './types.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall-clock fields of an instant in a time zone. */
export function localParts(at: number, timeZone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return {
    year: out.year ?? 0,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Offset of the zone from UTC at an instant, in ms (Berlin summer: +7,200,000). */
function offsetAt(at: number, timeZone: string): number {
  const p = localParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (at - (((at % 1000) + 1000) % 1000));
}

/**
 * The first instant at which the zone's wall clock shows `y-m-d 00:00` (or later that day, when
 * midnight falls into a DST gap, as in zones that switch at midnight).
 */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  // Two passes: the offset at the guessed instant may differ from the offset at the answer.
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  const p = localParts(t, timeZone);
  const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  if (shown < wall) t += wall - shown; // landed before midnight (gap): move to the first valid instant
  // Earlier candidates (an offset change just before) can also show the same day: step back hours.
  while (t - 3_600_000 >= 0) {
    const q = localParts(t - 3_600_000, timeZone);
    if (Date.UTC(q.year, q.month - 1, q.day) !== wall) break;
    t -= 3_600_000;
  }
  return t;
}

const lastPeriod = new Map<string, { start: number; end: number }>();

/** Start (inclusive) and end (exclusive) of the calendar period that contains `at`. */
export function calendarPeriod(
  at: number,
  unit: CalendarUnit,
  timeZone: string,
): { start: number; end: number } {
  // Evaluations ask about the same period every minute: remember the last one per unit and zone.
  const key = `${unit}|${timeZone}`;
  const hit = lastPeriod.get(key);
  if (hit && at >= hit.start && at < hit.end) return hit;
  const p = computePeriod(at, unit, timeZone);
  if (lastPeriod.size > 1000) lastPeriod.clear();
  lastPeriod.set(key, p);
  return p;
}

function computePeriod(at: number, unit: CalendarUnit, timeZone: string): { start: number; end: number } {
  const p = localParts(at, timeZone);
  if (unit === 'month') {
    const next = p.month === 12 ? [p.year + 1, 1] : [p.year, p.month + 1];
    return {
      start: localMidnight(p.year, p.month, 1, timeZone),
      end: localMidnight(next[0]!, next[1]!, 1, timeZone),
    };
  }
  if (unit === 'quarter') {
    const first = Math.floor((p.month - 1) / 3) * 3 + 1;
    const next = first === 10 ? [p.year + 1, 1] : [p.year, first + 3];
    return {
      start: localMidnight(p.year, first, 1, timeZone),
      end: localMidnight(next[0]!, next[1]!, 1, timeZone),
    };
  }
  // ISO week: Monday 00:00 local. Date arithmetic on the wall-clock date, in UTC to avoid DST.
  const wallDate = new Date(Date.UTC(p.year, p.month - 1, p.day));
  const sinceMonday = (wallDate.getUTCDay() + 6) % 7;
  const monday = new Date(wallDate.getTime() - sinceMonday * 86_400_000);
  const nextMonday = new Date(monday.getTime() + 7 * 86_400_000);
  return {
    start: localMidnight(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), timeZone),
    end: localMidnight(
      nextMonday.getUTCFullYear(),
      nextMonday.getUTCMonth() + 1,
      nextMonday.getUTCDate(),
      timeZone,
    ),
  };
}
