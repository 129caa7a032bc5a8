/**
 * Holiday calendars from iCalendar (.ics, RFC 5545) with ical.js: Mozilla's parser (Thunderbird's),
 * no dependencies, and it does what a hand-written reader would get wrong — line unfolding, escaping,
 * DATE vs DATE-TIME, multi-day events (DTEND is exclusive), RRULE/RDATE/EXDATE expansion and moved
 * occurrences (RECURRENCE-ID). `rrule` stays the engine for schedule rules; ical.js reads files.
 *
 * Every day an event covers (in the wall dates the file writes) becomes a holiday date.
 */
import ICAL from 'ical.js';
import { TsunaguError } from '../core/index.js';
import { ScheduleErrors } from './errors.js';
import { DAY, formatDate, parseDate } from './local-time.js';

export interface HolidayImport {
  dates: string[];
  /** One entry per date with the event summaries that cover it. */
  events: { date: string; summary: string }[];
}

const MAX_DATES = 5000;
const MAX_OCCURRENCES = 10_000;

type IcalTime = InstanceType<typeof ICAL.Time>;
type IcalEvent = InstanceType<typeof ICAL.Event>;

const dayOf = (t: IcalTime): number => Math.floor(Date.UTC(t.year, t.month - 1, t.day) / DAY);

/** Days [start, end) an occurrence covers: at least its start day. */
function coveredDays(start: IcalTime, end: IcalTime | undefined): number[] {
  const first = dayOf(start);
  let last = first;
  if (end) {
    const e = dayOf(end);
    // DATE end is exclusive; a DATE-TIME end at 00:00 ends the day before too.
    const endsAtMidnight = end.isDate || (end.hour === 0 && end.minute === 0 && end.second === 0);
    last = Math.max(first, endsAtMidnight ? e - 1 : e);
  }
  const out: number[] = [];
  for (let d = first; d <= last && out.length < 366; d++) out.push(d);
  return out;
}

/**
 * Parse `.ics` text and list the dates its events cover within [from, to] ("YYYY-MM-DD", inclusive):
 * recurring events are expanded over that window.
 */
export function importHolidays(text: string, from: string, to: string): HolidayImport {
  const fromDay = parseDate(from);
  const toDay = parseDate(to);
  if (fromDay === undefined) throw ScheduleErrors.invalid('from', 'must be a date YYYY-MM-DD');
  if (toDay === undefined || toDay < fromDay)
    throw ScheduleErrors.invalid('to', 'must be a date YYYY-MM-DD, not before from');
  try {
    return collect(text, fromDay, toDay);
  } catch (err) {
    if (err instanceof TsunaguError) throw err;
    throw ScheduleErrors.invalid('ics', `not a readable iCalendar file: ${(err as Error).message}`);
  }
}

function collect(text: string, fromDay: number, toDay: number): HolidayImport {
  const parsed: unknown = ICAL.parse(text);
  if (!Array.isArray(parsed) || parsed[0] !== 'vcalendar')
    throw ScheduleErrors.invalid('ics', 'not a VCALENDAR');
  const root = new ICAL.Component(parsed as unknown[]);
  const events = root.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
  if (events.length === 0) throw ScheduleErrors.invalid('ics', 'no VEVENT in the calendar');
  const masters = new Map<string, IcalEvent>();
  for (const e of events) if (!e.isRecurrenceException()) masters.set(e.uid, e);
  for (const e of events) if (e.isRecurrenceException()) masters.get(e.uid)?.relateException(e);

  const found = new Map<number, Set<string>>();
  const add = (start: IcalTime, end: IcalTime | undefined, summary: string): void => {
    for (const d of coveredDays(start, end)) {
      if (d < fromDay || d > toDay) continue;
      let s = found.get(d);
      if (!s) found.set(d, (s = new Set()));
      s.add(summary);
      if (found.size > MAX_DATES)
        throw ScheduleErrors.invalid('ics', `more than ${MAX_DATES} dates in the window`);
    }
  };
  for (const e of masters.values()) {
    if (!e.startDate) continue;
    if (!e.isRecurring()) {
      add(e.startDate, e.endDate ?? undefined, e.summary ?? '');
      continue;
    }
    const it = e.iterator();
    for (let n = 0; n < MAX_OCCURRENCES; n++) {
      const occ = it.next();
      if (!occ || dayOf(occ) > toDay) break;
      const detail = e.getOccurrenceDetails(occ);
      add(detail.startDate, detail.endDate, detail.item.summary ?? e.summary ?? '');
    }
  }
  const days = [...found.keys()].sort((a, b) => a - b);
  return {
    dates: days.map(formatDate),
    events: days.map((d) => ({ date: formatDate(d), summary: [...found.get(d)!].join('; ') })),
  };
}
