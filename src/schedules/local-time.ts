/**
 * Wall time in an IANA zone ↔ instants, with the DST rules of docs/schedules.md:
 * - a wall time that does not exist (spring-forward gap) fires at the first instant after the gap:
 *   02:30 in Europe/Berlin on the last Sunday of March fires at 03:00 (01:00 UTC);
 *   02:10 in Australia/Lord_Howe (30-minute shift) fires at 02:30;
 * - a wall time that exists twice (fall-back overlap) fires once, at its first occurrence.
 * Dates are day numbers (days since 1970-01-01), so calendar arithmetic never meets a zone.
 */
import { IANAZone } from 'luxon';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

const zones = new Map<string, IANAZone>();

export function isValidZone(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && IANAZone.isValidZone(name);
}

function zone(name: string): IANAZone {
  let z = zones.get(name);
  if (!z) {
    if (!IANAZone.isValidZone(name)) throw new RangeError(`unknown time zone ${name}`);
    z = IANAZone.create(name);
    zones.set(name, z);
  }
  return z;
}

const BUCKET_MS = 15 * MIN_MS;
const MAX_BUCKETS = 200_000;
const buckets = new Map<string, Map<number, number>>();

/**
 * UTC offset of `zoneName` at instant `ms`, in minutes. luxon asks Intl (a few µs a call); offsets
 * are cached per 15-minute bucket when the bucket holds no transition (same offset at both ends:
 * an offset never changes twice within 15 minutes), which makes resolving every minute of a year cheap.
 */
export function offsetAt(zoneName: string, ms: number): number {
  const b = Math.floor(ms / BUCKET_MS);
  let m = buckets.get(zoneName);
  if (!m) buckets.set(zoneName, (m = new Map()));
  const hit = m.get(b);
  if (hit !== undefined) return hit;
  const z = zone(zoneName);
  const first = z.offset(b * BUCKET_MS);
  if (first !== z.offset(b * BUCKET_MS + BUCKET_MS - 1)) return z.offset(ms);
  if (m.size >= MAX_BUCKETS) m.clear();
  m.set(b, first);
  return first;
}

/** The local day number of an instant in a zone. */
export function localDay(zoneName: string, ms: number): number {
  return Math.floor((ms + offsetAt(zoneName, ms) * MIN_MS) / DAY_MS);
}

/** Local minute of day (0..1439) of an instant. */
export function localMinute(zoneName: string, ms: number): number {
  const local = ms + offsetAt(zoneName, ms) * MIN_MS;
  return Math.floor((local - Math.floor(local / DAY_MS) * DAY_MS) / MIN_MS);
}

/**
 * The instant wall time (`day`, `minute`) happens in the zone: the first occurrence when it
 * happens twice, the end of the gap when it does not happen at all.
 */
export function wallToInstant(zoneName: string, day: number, minute: number): number {
  const naive = day * DAY_MS + minute * MIN_MS;
  // Offsets a day either side bracket any transition near this wall time (zones shift at most
  // twice a year, never twice within two days).
  const before = offsetAt(zoneName, naive - DAY_MS);
  const after = offsetAt(zoneName, naive + DAY_MS);
  const valid: number[] = [];
  for (const off of before === after ? [before] : [before, after]) {
    const t = naive - off * MIN_MS;
    if (offsetAt(zoneName, t) === off) valid.push(t);
  }
  if (valid.length > 0) return Math.min(...valid);
  // A gap: the wall time falls in the hour (or half hour) skipped. The transition lies between the
  // instant the old offset would give (later) and the one the new offset would give (earlier).
  // Searched in whole minutes: zones change offset on minute boundaries.
  let lo = naive / MIN_MS - after; // still the old offset
  let hi = naive / MIN_MS - before; // already the new offset
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(zoneName, mid * MIN_MS) === after) hi = mid;
    else lo = mid;
  }
  return hi * MIN_MS;
}

/** Day number of "YYYY-MM-DD" (no validation: see `parseDate`). */
export function dayNumber(y: number, m: number, d: number): number {
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
}

/** Parse "YYYY-MM-DD" to a day number; undefined when it is not a real date (2026-02-29 is not). */
export function parseDate(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const dn = dayNumber(y, mo, d);
  const back = new Date(dn * DAY_MS);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() + 1 !== mo || back.getUTCDate() !== d)
    return undefined;
  return dn;
}

/** Parse "HH:MM" (00:00..23:59) to minutes of day. */
export function parseTime(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export function formatDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** "MM-DD" of a day number. */
export function monthDay(day: number): string {
  return formatDate(day).slice(5);
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export const DAY = DAY_MS;
export const MINUTE = MIN_MS;
