/**
 * Durations as OpenSLO's duration-shorthand (`5m`, `6h`, `30d`, `4w`) in whole minutes. `M`, `Q`
 * and `Y` are calendar units: they are only meaningful for calendar windows (calendar.ts).
 */
const UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 1440, w: 10080 };

/** Minutes for `5m`/`6h`/`30d`/`4w`; undefined when the text is not such a duration. */
export function parseDurationMinutes(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,6})([mhdw])$/.exec(text);
  if (!m) return undefined;
  const minutes = Number(m[1]) * (UNIT_MINUTES[m[2]!] ?? 0);
  return Number.isSafeInteger(minutes) ? minutes : undefined;
}

/** The shortest exact shorthand in days, hours or minutes: 43200 → `30d`, 90 → `90m`. */
export function formatDurationMinutes(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}
