/**
 * The schedule model (docs/schedules.md). A schedule is data: rules in priority order, each a day
 * matcher plus time slots; one-off exceptions; named holiday lists. `resolve.ts` turns it into the
 * effective state at an instant and into the list of writes over a range.
 */

export type JsonObject = Record<string, unknown>;

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** A day name, or a group of them: `weekday` = mon–fri, `weekend` = sat, sun. */
export type DayName = Weekday | 'weekday' | 'weekend';

/** A time slot: at local wall time `time` ("HH:MM") the schedule writes `patch` as desired state. */
export interface Slot {
  time: string;
  patch: JsonObject;
}

/** Which local dates a rule applies to. Every given condition must hold; an empty matcher matches every day. */
export interface DayMatcher {
  days?: DayName[];
  /** Names of holiday lists (`Schedule.holidays`): the date is in at least one of them. */
  holidays?: string[];
  /**
   * Inclusive date range: "MM-DD" (every year; wraps over new year when from > to, e.g. a heating
   * season 10-01..04-30) or "YYYY-MM-DD" (one span of dates).
   */
  between?: { from: string; to: string };
  /**
   * iCalendar recurrence (RFC 5545 RRULE, e.g. `FREQ=MONTHLY;BYDAY=1MO`, optionally preceded by a
   * `DTSTART:YYYYMMDD` line): the date is an occurrence. Floating dates in the schedule's zone.
   */
  rrule?: string;
}

export interface Rule {
  name: string;
  when: DayMatcher;
  slots: Slot[];
}

/** A one-off date whose slots replace whatever the rules say (empty slots: nothing is written that day). */
export interface Exception {
  date: string;
  slots: Slot[];
  note?: string;
}

/** What a manual desired change between slots means (docs/schedules.md, "Overrides"). */
export type OverrideMode =
  | 'until_next_slot' // the manual value holds until the schedule's next slot writes
  | 'until_cleared'; // the schedule leaves the device alone until the override is cleared

export interface VerifyPolicy {
  /** How long after a write reported must equal desired. */
  timeoutMs: number;
  /** Writes per execution, the first included (default 5). */
  attempts: number;
  /** Wait before a re-send: backoffMs × 2^(attempt-1), capped at maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export interface Targets {
  devices: string[];
  models: string[];
  tags: string[];
}

/** Everything the resolution function needs (no ids, no bookkeeping). */
export interface ScheduleSpec {
  /** IANA zone the slots are in, unless the device's own zone attribute overrides it. */
  timezone: string;
  rules: Rule[];
  exceptions: Exception[];
  /** Named holiday lists: name → dates "YYYY-MM-DD". */
  holidays: Record<string, string[]>;
}

export interface Schedule extends ScheduleSpec {
  id: string;
  name: string;
  enabled: boolean;
  targets: Targets;
  /** Shadow the patches go to ('' = the classic shadow). */
  shadowName: string;
  /** Device attribute holding an IANA zone that overrides `timezone` (null: never). */
  zoneAttribute: string | null;
  overrideMode: OverrideMode;
  verify: VerifyPolicy;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export const DEFAULT_VERIFY: VerifyPolicy = {
  timeoutMs: 60_000,
  attempts: 5,
  backoffMs: 30_000,
  maxBackoffMs: 600_000,
};

/** One write the schedule makes: a slot's patch at the instant it fires. */
export interface SlotWrite {
  /** Epoch ms the slot fires (DST-adjusted: see local-time.ts). */
  at: number;
  /** Local date the slot belongs to, "YYYY-MM-DD". */
  date: string;
  /** The slot's wall time as written, "HH:MM" (the instant may differ on a DST gap day). */
  time: string;
  /** The rule name, or `exception` for a one-off date. */
  source: string;
  patch: JsonObject;
}

/** The one effective state at an instant: the last write at or before it, or none yet. */
export type EffectiveState = { kind: 'slot'; write: SlotWrite } | { kind: 'none' };
