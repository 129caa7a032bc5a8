/**
 * RRULE day matching with `rrule` (RFC 5545). Occurrences are floating dates: rrule computes in UTC
 * fields, which we read as the schedule zone's local date, so a rule never shifts across DST.
 * Occurrences are expanded per year once and cached (the resolver asks once per local date).
 */
import rrulePkg from 'rrule';
import { DAY, dayNumber } from './local-time.js';

const { rrulestr } = rrulePkg;

/** Default DTSTART when the text has none (phase of INTERVAL>1 and FREQ=YEARLY rules counts from it). */
export const DEFAULT_DTSTART = 'DTSTART:19700101T000000Z';

type Parsed = ReturnType<typeof rrulestr>;

const parsed = new Map<string, Parsed>();
const years = new Map<string, Set<number>>();
const MAX_CACHE = 10_000;

function normalize(text: string): string {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => (/^(RRULE|DTSTART|EXDATE|RDATE|EXRULE)[:;]/i.test(l) ? l : `RRULE:${l}`))
    // A date-only DTSTART becomes midnight UTC: floating dates throughout.
    .map((l) => l.replace(/^DTSTART(?:;VALUE=DATE)?:(\d{8})$/i, 'DTSTART:$1T000000Z'));
  if (!lines.some((l) => /^DTSTART/i.test(l))) lines.unshift(DEFAULT_DTSTART);
  return lines.join('\n');
}

/** Parse an RRULE text; throws with rrule's message when it is not one. */
export function parseRecurrence(text: string): Parsed {
  let p = parsed.get(text);
  if (!p) {
    const norm = normalize(text);
    if (/TZID=/i.test(norm)) throw new Error('TZID is not supported: recurrence uses the schedule zone');
    if (!/^RRULE:/im.test(norm)) throw new Error('no RRULE line');
    p = rrulestr(norm, { forceset: true });
    if (parsed.size > MAX_CACHE) parsed.clear();
    parsed.set(text, p);
  }
  return p;
}

/** Does the recurrence have an occurrence on local day number `day`? */
export function occursOn(text: string, day: number): boolean {
  const year = new Date(day * DAY).getUTCFullYear();
  const key = `${year}\u0000${text}`;
  let set = years.get(key);
  if (!set) {
    const rule = parseRecurrence(text);
    const from = new Date(dayNumber(year, 1, 1) * DAY);
    const to = new Date(dayNumber(year + 1, 1, 1) * DAY - 1);
    set = new Set(rule.between(from, to, true).map((d) => Math.floor(d.getTime() / DAY)));
    if (years.size > MAX_CACHE) years.clear();
    years.set(key, set);
  }
  return set.has(day);
}
