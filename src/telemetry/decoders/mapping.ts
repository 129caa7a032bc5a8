/**
 * Path mappings shared by the JSON and protobuf decoders: which paths become metrics (with unit,
 * scale, offset), which become events through a code table, which become text attributes, where
 * the time and the device id are.
 */
import type { DecodedValues, EventTemplate } from '../types.js';
import { compileScale } from './scale.js';
import { compilePath, getPath, type PathStep } from './json-path.js';
import {
  arr,
  metricName,
  num,
  obj,
  oneOf,
  optObj,
  optStr,
  parseTime,
  str,
  template,
  templateTable,
  TIME_FORMATS,
  type Obj,
  type TimeFormat,
} from './spec.js';

interface MetricMap {
  path: PathStep[];
  name: string;
  unit: string | undefined;
  /** `value × scale + offset`, exact in decimal (scale.ts). */
  scaled: (raw: number) => number;
}

interface EventMap {
  path: PathStep[];
  pathText: string;
  codes: Map<string, EventTemplate>;
  /** Values meaning "no event" (default 0, "0", "", "OK", false, null). */
  ok: Set<string>;
  fallback: EventTemplate | undefined;
}

export interface CompiledMapping {
  apply(root: unknown): DecodedValues | string;
}

export function compileMapping(spec: Obj, at: string): CompiledMapping {
  const metrics: MetricMap[] = arr(spec.metrics ?? [], `${at}.metrics`).map((m, i) => {
    const f = `${at}.metrics[${i}]`;
    const o = obj(m, f);
    const path = str(o.path, `${f}.path`);
    return {
      path: compilePath(path, `${f}.path`),
      name: metricName(o.name ?? path, `${f}.name`),
      unit: optStr(o.unit, `${f}.unit`),
      scaled: compileScale(num(o.scale, `${f}.scale`, 1), num(o.offset, `${f}.offset`, 0)),
    };
  });
  const events: EventMap[] = arr(spec.events ?? [], `${at}.events`).map((e, i) => {
    const f = `${at}.events[${i}]`;
    const o = obj(e, f);
    const path = str(o.path, `${f}.path`);
    return {
      path: compilePath(path, `${f}.path`),
      pathText: path,
      codes: templateTable(o.codes, `${f}.codes`),
      ok: new Set(arr(o.ok ?? [0, '', 'OK', false], `${f}.ok`).map(String)),
      fallback: o.default === undefined ? undefined : template(o.default, `${f}.default`),
    };
  });
  const attributes = arr(spec.attributes ?? [], `${at}.attributes`).map((a, i) => {
    const f = `${at}.attributes[${i}]`;
    const o = obj(a, f);
    const path = str(o.path, `${f}.path`);
    return { path: compilePath(path, `${f}.path`), name: metricName(o.name ?? path, `${f}.name`) };
  });
  const ts = optObj(spec.timestamp, `${at}.timestamp`);
  const tsPath = ts ? compilePath(str(ts.path, `${at}.timestamp.path`), `${at}.timestamp.path`) : undefined;
  const tsFormat: TimeFormat = oneOf(ts?.format, `${at}.timestamp.format`, TIME_FORMATS, 'auto');
  const idPath =
    spec.deviceIdPath === undefined
      ? undefined
      : compilePath(str(spec.deviceIdPath, `${at}.deviceIdPath`), `${at}.deviceIdPath`);

  return {
    apply(root) {
      const out: DecodedValues = { metrics: [], events: [], attributes: [] };
      if (tsPath) {
        const raw = getPath(root, tsPath);
        // 0 is "not set" (proto3 default, firmware without a clock): use the arrival time.
        if (raw !== undefined && raw !== null && raw !== 0 && raw !== '0' && raw !== '') {
          const t = parseTime(raw, tsFormat);
          if (t === undefined) return `timestamp: cannot read ${JSON.stringify(raw)} as ${tsFormat}`;
          out.ts = t;
        }
      }
      if (idPath) {
        const id = getPath(root, idPath);
        if (typeof id === 'string' || typeof id === 'number') out.deviceId = String(id);
      }
      for (const m of metrics) {
        const v = toNumber(getPath(root, m.path));
        if (v === undefined) continue; // absent or non-numeric: absent, not an error
        out.metrics.push({
          name: m.name,
          value: m.scaled(v),
          ...(m.unit ? { unit: m.unit } : {}),
        });
      }
      for (const e of events) {
        const v = scalarText(getPath(root, e.path));
        if (v === undefined || e.ok.has(v)) continue;
        const t = e.codes.get(v) ?? e.fallback;
        out.events.push(
          t
            ? { ...t, fields: { path: e.pathText, value: v } }
            : {
                code: 'UNKNOWN_CODE',
                severity: 'warning',
                message: `unknown code ${v} at ${e.pathText}`,
                fields: { path: e.pathText, value: v },
              },
        );
      }
      for (const a of attributes) {
        const v = scalarText(getPath(root, a.path));
        if (v !== undefined) out.attributes.push({ name: a.name, text: v.slice(0, 256) });
      }
      return out;
    },
  };
}

/** The text of a scalar (string, number, boolean); undefined for anything else. */
export function scalarText(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** JSON text → value, or a reason. Rejects empty and non-UTF-8-looking payloads cleanly. */
export function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (payload.length === 0) return { ok: false, reason: 'empty payload' };
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
}
