/**
 * Reading user-written decoder specs: every accessor checks the type and names the offending field
 * (`spec.fields[3].type`) so a bad definition is rejected at upload time, never at decode time.
 */
import { TelemetryErrors } from '../errors.js';
import { SEVERITIES, type EventTemplate, type Severity } from '../types.js';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const fail = (field: string, why: string): never => {
  throw TelemetryErrors.invalidDecoder(field, why);
};

export function obj(v: unknown, field: string): Obj {
  return isObj(v) ? v : fail(field, 'must be an object');
}

export function optObj(v: unknown, field: string): Obj | undefined {
  return v === undefined ? undefined : obj(v, field);
}

export function str(v: unknown, field: string): string {
  return typeof v === 'string' && v.length > 0 ? v : fail(field, 'must be a non-empty string');
}

export function optStr(v: unknown, field: string): string | undefined {
  return v === undefined ? undefined : str(v, field);
}

export function num(v: unknown, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  return typeof v === 'number' && Number.isFinite(v) ? v : fail(field, 'must be a finite number');
}

export function int(v: unknown, field: string, min = 0): number {
  return Number.isInteger(v) && (v as number) >= min
    ? (v as number)
    : fail(field, `must be an integer ≥ ${min}`);
}

export function arr(v: unknown, field: string): unknown[] {
  return Array.isArray(v) ? v : fail(field, 'must be a list');
}

export function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], dflt?: T): T {
  if (v === undefined && dflt !== undefined) return dflt;
  return allowed.includes(v as T) ? (v as T) : fail(field, `must be one of ${allowed.join(', ')}`);
}

export function severity(v: unknown, field: string, dflt?: Severity): Severity {
  return oneOf(v, field, SEVERITIES, dflt);
}

export function template(v: unknown, field: string): EventTemplate {
  const o = obj(v, field);
  return {
    code: str(o.code, `${field}.code`),
    severity: severity(o.severity, `${field}.severity`, 'warning'),
    message: optStr(o.message, `${field}.message`) ?? String(o.code),
  };
}

/** `{ "<key>": { code, severity, message } }` → Map keyed by the string form of the key. */
export function templateTable(v: unknown, field: string): Map<string, EventTemplate> {
  const out = new Map<string, EventTemplate>();
  if (v === undefined) return out;
  for (const [k, t] of Object.entries(obj(v, field))) out.set(k, template(t, `${field}.${k}`));
  return out;
}

/** Metric names end up in URLs and CSV headers: keep them printable and short. */
export function metricName(v: unknown, field: string): string {
  const s = str(v, field);
  return /^[A-Za-z0-9_.:\-/[\]]{1,128}$/.test(s)
    ? s
    : fail(field, 'must be 1-128 characters of letters, digits, _ . : - / [ ]');
}

export const TIME_FORMATS = ['auto', 'epoch-s', 'epoch-ms', 'iso'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

/** Epoch ms from a payload value, or undefined when it is not a plausible time. */
export function parseTime(v: unknown, format: TimeFormat): number | undefined {
  let ms: number | undefined;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()))) {
    const n = Number(v);
    if (format === 'iso') return undefined;
    // auto: below 1e11 it is seconds (1e11 s is the year 5138; 1e11 ms is 1973).
    ms = format === 'epoch-s' || (format === 'auto' && n < 1e11) ? n * 1000 : n;
  } else if (typeof v === 'string' && format !== 'epoch-s' && format !== 'epoch-ms') {
    ms = Date.parse(v);
  }
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms < 8.64e15 ? Math.round(ms) : undefined;
}
