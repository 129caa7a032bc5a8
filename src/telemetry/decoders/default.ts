/**
 * Devices whose model has no decoder: a JSON object's numeric (and boolean) leaves become points
 * named by their path (`battery.soc`, `cells[0]`), short strings become attributes, and a top-level
 * `ts`/`timestamp`/`time` sets the message time. Events default: `{ code, severity?, message?, ...fields }`.
 */
import type { DecodedValues, DecodeOutcome, Severity } from '../types.js';
import { SEVERITIES } from '../types.js';
import { parseJson } from './mapping.js';
import { parseTime } from './spec.js';

const TIME_KEYS = ['ts', 'timestamp', 'time'];
const MAX_LEAVES = 1000;
const MAX_DEPTH = 8;

export function decodeDefaultTelemetry(payload: Buffer): DecodeOutcome {
  const parsed = parseJson(payload);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    return { ok: false, reason: 'payload is not a JSON object (no decoder attached to the model)' };
  const out: DecodedValues = { metrics: [], events: [], attributes: [] };
  for (const k of TIME_KEYS) {
    const v = (root as Record<string, unknown>)[k];
    if (v === undefined) continue;
    const t = parseTime(v, 'auto');
    if (t === undefined) return { ok: false, reason: `${k}: not a time: ${JSON.stringify(v)}` };
    out.ts = t;
    break;
  }
  const walk = (v: unknown, path: string, depth: number): void => {
    if (out.metrics.length + out.attributes.length >= MAX_LEAVES || depth > MAX_DEPTH) return;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) out.metrics.push({ name: path, value: v });
    } else if (typeof v === 'boolean') out.metrics.push({ name: path, value: v ? 1 : 0 });
    else if (typeof v === 'string') out.attributes.push({ name: path, text: v.slice(0, 256) });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
    else if (typeof v === 'object' && v !== null)
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, depth + 1);
  };
  for (const [k, v] of Object.entries(root))
    if (out.ts === undefined || !TIME_KEYS.includes(k)) walk(v, k, 1);
  return { ok: true, values: out };
}

export function decodeDefaultEvent(payload: Buffer): DecodeOutcome {
  const parsed = parseJson(payload);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    return { ok: false, reason: 'event payload is not a JSON object' };
  const { code, severity, message, ts, ...fields } = root as Record<string, unknown>;
  const out: DecodedValues = { metrics: [], events: [], attributes: [] };
  if (ts !== undefined) {
    const t = parseTime(ts, 'auto');
    if (t === undefined) return { ok: false, reason: `ts: not a time: ${JSON.stringify(ts)}` };
    out.ts = t;
  }
  const sev: Severity = SEVERITIES.includes(severity as Severity) ? (severity as Severity) : 'info';
  const c = typeof code === 'string' || typeof code === 'number' ? String(code) : 'device_event';
  out.events.push({
    code: c.slice(0, 128),
    severity: sev,
    message: typeof message === 'string' ? message.slice(0, 1024) : c,
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  });
  return { ok: true, values: out };
}
