/** Does a rule's day matcher hold on a local date? (Every given condition must.) */
import { occursOn } from './recurrence.js';
import { formatDate, monthDay, weekday } from './local-time.js';
import { WEEKDAYS, type DayMatcher, type DayName } from './types.js';

/** Is "YYYY-MM-DD" in the named holiday list? */
export type HolidayLookup = (list: string, date: string) => boolean;

function dayNameMatches(name: DayName, wd: number): boolean {
  if (name === 'weekday') return wd >= 1 && wd <= 5;
  if (name === 'weekend') return wd === 0 || wd === 6;
  return WEEKDAYS[wd] === name;
}

/** Inclusive range of "MM-DD" (wrapping over new year when from > to) or "YYYY-MM-DD" dates. */
function inRange(range: { from: string; to: string }, day: number): boolean {
  if (range.from.length === 10) {
    const d = formatDate(day);
    return d >= range.from && d <= range.to;
  }
  const md = monthDay(day);
  return range.from <= range.to ? md >= range.from && md <= range.to : md >= range.from || md <= range.to;
}

export function matches(when: DayMatcher, day: number, isHoliday: HolidayLookup): boolean {
  if (when.days && when.days.length > 0) {
    const wd = weekday(day);
    if (!when.days.some((n) => dayNameMatches(n, wd))) return false;
  }
  if (when.holidays && when.holidays.length > 0) {
    const d = formatDate(day);
    if (!when.holidays.some((h) => isHoliday(h, d))) return false;
  }
  if (when.between && !inRange(when.between, day)) return false;
  if (when.rrule !== undefined && !occursOn(when.rrule, day)) return false;
  return true;
}
