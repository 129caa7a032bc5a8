/**
 * The schedule editor's text fields ↔ a schedule definition (docs/schedules.md), and the year
 * view's day grid. Pure, so tests cover it without a browser.
 *
 * Slots are written the way the energy team writes them: one per line, `06:00 {"mode":"heat"}`.
 * Exceptions: `2026-12-24 12:00 {"mode":"eco"}` (several lines per date add slots; `2026-12-25 -`
 * means no writes that day). Holidays: `de-be: 2026-12-25, 2026-12-26`. Problems name the field by
 * the same path the server uses (`rules[1].slots[0].time`), so one display serves both.
 */
import type { Res } from './api-types';

export type Schedule = Res<'/schedules/:id', 'get'>;
export type Execution = NonNullable<Res<'/schedules/:id/executions', 'get'>['items']>[number];
export type Write = NonNullable<Res<'/schedules/:id/preview', 'get'>['writes']>[number];
type Patch = Record<string, unknown>;

export interface RuleForm {
  name: string;
  /** comma list: sun…sat, weekday, weekend */
  days: string;
  /** comma list of holiday list names */
  holidays: string;
  /** MM-DD or YYYY-MM-DD; both or neither */
  from: string;
  to: string;
  rrule: string;
  /** one `HH:MM {json}` per line */
  slots: string;
}

export interface ScheduleForm {
  name: string;
  enabled: boolean;
  timezone: string;
  zoneAttribute: string;
  devices: string;
  models: string;
  tags: string;
  shadowName: string;
  overrideMode: 'until_next_slot' | 'until_cleared';
  timeoutS: string;
  attempts: string;
  backoffS: string;
  maxBackoffS: string;
  rules: RuleForm[];
  exceptions: string;
  holidays: string;
}

export const EMPTY_RULE: RuleForm = {
  name: '',
  days: '',
  holidays: '',
  from: '',
  to: '',
  rrule: '',
  slots: '',
};

export const EMPTY_SCHEDULE_FORM: ScheduleForm = {
  name: '',
  enabled: true,
  timezone: 'Europe/Berlin',
  zoneAttribute: 'timezone',
  devices: '',
  models: '',
  tags: '',
  shadowName: '',
  overrideMode: 'until_next_slot',
  timeoutS: '60',
  attempts: '5',
  backoffS: '30',
  maxBackoffS: '600',
  rules: [{ ...EMPTY_RULE, name: 'every-day', slots: '06:00 {"mode":"heat"}\n22:00 {"mode":"eco"}' }],
  exceptions: '',
  holidays: '',
};

/** A problem in the form, named like the server names it. */
export interface FieldError {
  field: string;
  message: string;
}

export type FormResult = { ok: true; body: Record<string, unknown> } | ({ ok: false } & FieldError);

class Bad extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const lines = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

function parsePatch(text: string, field: string): Patch {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Bad(field, `not JSON: ${text}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Bad(field, 'must be a JSON object');
  return v as Patch;
}

/** `06:00 {"mode":"heat"}` per line → slots. */
export function parseSlots(text: string, field: string): { time: string; patch: Patch }[] {
  return lines(text).map((l, j) => {
    const m = /^(\S+)\s+(.+)$/.exec(l);
    if (!m) throw new Bad(`${field}[${j}]`, `write "HH:MM {json}", got "${l}"`);
    if (!/^\d{2}:\d{2}$/.test(m[1]!)) throw new Bad(`${field}[${j}].time`, `"${m[1]}" is not HH:MM`);
    return { time: m[1]!, patch: parsePatch(m[2]!, `${field}[${j}].patch`) };
  });
}

export const formatSlots = (slots: readonly { time: string; patch: unknown }[]): string =>
  slots.map((s) => `${s.time} ${JSON.stringify(s.patch)}`).join('\n');

function parseExceptions(text: string): { date: string; slots: { time: string; patch: Patch }[] }[] {
  const byDate = new Map<string, { time: string; patch: Patch }[]>();
  lines(text).forEach((l, i) => {
    const m = /^(\S+)\s+(.+)$/.exec(l);
    if (!m)
      throw new Bad(`exceptions[${i}]`, `write "YYYY-MM-DD HH:MM {json}" or "YYYY-MM-DD -", got "${l}"`);
    const date = m[1]!;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new Bad(`exceptions[${i}].date`, `"${date}" is not YYYY-MM-DD`);
    const slots = byDate.get(date) ?? [];
    byDate.set(date, slots);
    if (m[2]!.trim() !== '-') slots.push(...parseSlots(m[2]!, `exceptions[${i}].slots`));
  });
  return [...byDate].map(([date, slots]) => ({ date, slots }));
}

function formatExceptions(ex: Schedule['exceptions']): string {
  return (ex ?? [])
    .flatMap((e) =>
      e.slots.length === 0
        ? [`${e.date} -`]
        : e.slots.map((s) => `${e.date} ${s.time} ${JSON.stringify(s.patch)}`),
    )
    .join('\n');
}

function parseHolidays(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  lines(text).forEach((l, i) => {
    const at = l.indexOf(':');
    if (at <= 0) throw new Bad(`holidays[${i}]`, `write "name: YYYY-MM-DD, …", got "${l}"`);
    out[l.slice(0, at).trim()] = list(l.slice(at + 1));
  });
  return out;
}

const num = (v: string, field: string, scale = 1): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new Bad(field, `"${v}" is not a number ≥ 0`);
  return Math.round(n * scale);
};

/** The form → a schedule body for POST/PUT, or the first problem. */
export function formToSchedule(f: ScheduleForm): FormResult {
  try {
    if (!f.name.trim()) throw new Bad('name', 'is required');
    const rules = f.rules.map((r, i) => {
      const when: Record<string, unknown> = {};
      if (list(r.days).length) when.days = list(r.days);
      if (list(r.holidays).length) when.holidays = list(r.holidays);
      if (r.from.trim() || r.to.trim()) {
        if (!r.from.trim() || !r.to.trim())
          throw new Bad(`rules[${i}].when.between`, 'needs both from and to');
        when.between = { from: r.from.trim(), to: r.to.trim() };
      }
      if (r.rrule.trim()) when.rrule = r.rrule.trim();
      return { name: r.name.trim(), when, slots: parseSlots(r.slots, `rules[${i}].slots`) };
    });
    return {
      ok: true,
      body: {
        name: f.name.trim(),
        enabled: f.enabled,
        timezone: f.timezone.trim(),
        zoneAttribute: f.zoneAttribute.trim() || null,
        targets: { devices: list(f.devices), models: list(f.models), tags: list(f.tags) },
        shadowName: f.shadowName.trim(),
        overrideMode: f.overrideMode,
        verify: {
          timeoutMs: num(f.timeoutS, 'verify.timeoutMs', 1000),
          attempts: num(f.attempts, 'verify.attempts'),
          backoffMs: num(f.backoffS, 'verify.backoffMs', 1000),
          maxBackoffMs: num(f.maxBackoffS, 'verify.maxBackoffMs', 1000),
        },
        rules,
        exceptions: parseExceptions(f.exceptions),
        holidays: parseHolidays(f.holidays),
      },
    };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, field: e.field, message: e.message };
    throw e;
  }
}

/** A stored schedule → the form (for editing). */
export function scheduleToForm(s: Schedule): ScheduleForm {
  const v = s.verify ?? {};
  const secs = (ms: number | undefined, d: string): string => (ms === undefined ? d : String(ms / 1000));
  return {
    name: s.name ?? '',
    enabled: s.enabled ?? true,
    timezone: s.timezone ?? '',
    zoneAttribute: s.zoneAttribute ?? '',
    devices: (s.targets?.devices ?? []).join(', '),
    models: (s.targets?.models ?? []).join(', '),
    tags: (s.targets?.tags ?? []).join(', '),
    shadowName: s.shadowName ?? '',
    overrideMode: s.overrideMode ?? 'until_next_slot',
    timeoutS: secs(v.timeoutMs, '60'),
    attempts: String(v.attempts ?? 5),
    backoffS: secs(v.backoffMs, '30'),
    maxBackoffS: secs(v.maxBackoffMs, '600'),
    rules: (s.rules ?? []).map((r) => ({
      name: r.name,
      days: (r.when.days ?? []).join(', '),
      holidays: (r.when.holidays ?? []).join(', '),
      from: r.when.between?.from ?? '',
      to: r.when.between?.to ?? '',
      rrule: r.when.rrule ?? '',
      slots: formatSlots(r.slots),
    })),
    exceptions: formatExceptions(s.exceptions),
    holidays: Object.entries(s.holidays ?? {})
      .map(([k, d]) => `${k}: ${d.join(', ')}`)
      .join('\n'),
  };
}

/** Does an error on `errorField` belong to the input for `field` (itself or inside it)? */
export const fieldMatches = (field: string, errorField: string | undefined): boolean =>
  errorField !== undefined &&
  (errorField === field || errorField.startsWith(`${field}[`) || errorField.startsWith(`${field}.`));

/** One day of the year view. */
export interface DayCell {
  date: string;
  /** The rule (or `exception`) that planned the day; undefined: no write, the previous state holds. */
  source: string | undefined;
  writes: Write[];
  holidays: string[];
  exception: boolean;
}

/** The calendar year `year` as 12 months of day cells (writes grouped by their local date). */
export function yearGrid(year: number, writes: readonly Write[], s: Schedule): DayCell[][] {
  const byDate = new Map<string, Write[]>();
  for (const w of writes) if (w.date) byDate.set(w.date, [...(byDate.get(w.date) ?? []), w]);
  const holidayOf = new Map<string, string[]>();
  for (const [name, dates] of Object.entries(s.holidays ?? {}))
    for (const d of dates) holidayOf.set(d, [...(holidayOf.get(d) ?? []), name]);
  const exceptions = new Set((s.exceptions ?? []).map((e) => e.date));
  const months: DayCell[][] = [];
  for (let m = 0; m < 12; m++) {
    const days = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
    const cells: DayCell[] = [];
    for (let d = 1; d <= days; d++) {
      const date = `${year}-${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      const ws = byDate.get(date) ?? [];
      cells.push({
        date,
        source: ws[0]?.source,
        writes: ws,
        holidays: holidayOf.get(date) ?? [],
        exception: exceptions.has(date),
      });
    }
    months.push(cells);
  }
  return months;
}

/** Today's date (YYYY-MM-DD) in an IANA zone. */
export function todayIn(zone: string, now = Date.now()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(now);
  } catch {
    return new Date(now).toISOString().slice(0, 10);
  }
}
