/**
 * The fields a device model's devices send, for default dashboards and the console's key pickers:
 * read from the model's decoders (JSON and protobuf `metrics`/`attributes` with their units, CSV
 * `fields` by role and type), then the keys its devices have actually reported (the built-in
 * readings of a model without a decoder have no declaration to read).
 */

export interface ModelField {
  key: string;
  /** Numbers are charted; text (firmware, rider, enum labels) is shown as the latest value only. */
  kind: 'number' | 'text';
  unit?: string;
  /** Where the field was found: a decoder id, or `reported` for keys seen in telemetry. */
  source: string;
}

/** A decoder definition as telemetry stores it (only what is read here). */
export interface DecoderLike {
  id: string;
  type: string;
  spec: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const NUMERIC = new Set(['int', 'float', 'hex', 'bcd', 'bool']);

function csvFields(fields: Obj[], prefix: string, source: string, out: ModelField[]): void {
  for (const f of fields) {
    const name = strOf(f.name);
    if (!name) continue;
    const key = prefix + name;
    const type = strOf(f.type) ?? 'string';
    const role = strOf(f.role);
    const unit = strOf(f.unit);
    if (type === 'composite') csvFields(list(f.parts), `${key}.`, source, out);
    else if (role === 'ignore' || role === 'status' || role === 'code') continue;
    else if (type === 'enum') {
      // The code as a metric and its label as an attribute, under one name: the label reads better.
      out.push({ key, kind: 'text', source });
    } else if (type === 'string' || role === 'attribute') out.push({ key, kind: 'text', source });
    else if (NUMERIC.has(type)) out.push({ key, kind: 'number', source, ...(unit ? { unit } : {}) });
  }
}

/** The fields one decoder definition declares, in its order. */
export function decoderFields(d: DecoderLike): ModelField[] {
  const out: ModelField[] = [];
  if (d.type === 'csv') csvFields(list(d.spec.fields), '', d.id, out);
  else {
    for (const m of list(d.spec.metrics)) {
      const key = strOf(m.name) ?? strOf(m.path);
      const unit = strOf(m.unit);
      if (key) out.push({ key, kind: 'number', source: d.id, ...(unit ? { unit } : {}) });
    }
    for (const a of list(d.spec.attributes)) {
      const key = strOf(a.name) ?? strOf(a.path);
      if (key) out.push({ key, kind: 'text', source: d.id });
    }
  }
  return out;
}

/**
 * Merge declared fields (first declaration of a key wins) with reported keys not declared.
 * `reported` comes from the latest-value table: `number` when the latest value is numeric.
 */
export function mergeFields(
  declared: ModelField[][],
  reported: { key: string; kind: 'number' | 'text' }[],
): ModelField[] {
  const seen = new Map<string, ModelField>();
  for (const group of declared) for (const f of group) if (!seen.has(f.key)) seen.set(f.key, f);
  for (const r of [...reported].sort((a, b) => a.key.localeCompare(b.key)))
    if (!seen.has(r.key)) seen.set(r.key, { ...r, source: 'reported' });
  return [...seen.values()];
}
