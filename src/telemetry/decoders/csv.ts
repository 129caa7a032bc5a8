/**
 * CSV telegram decoder: positional fields split on a delimiter, each typed (int, float, hex, bcd,
 * string, bool, enum, composite), scaled, and routed by role: metric, attribute, status (bits →
 * events), code (code table → event) or ignore. An empty field is absent. An optional checksum is
 * the last field and covers the text before (or through) the last delimiter.
 */
import type { DecodedValues, Decoder, DecoderDefinition, EventTemplate } from '../types.js';
import { compileChecksum, type Checksum } from './checksum.js';
import {
  arr,
  fail,
  int,
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
import { compileScale } from './scale.js';

const FIELD_TYPES = ['int', 'float', 'hex', 'bcd', 'string', 'bool', 'enum', 'composite'] as const;
type FieldType = (typeof FIELD_TYPES)[number];
const ROLES = ['metric', 'attribute', 'status', 'code', 'ignore'] as const;
type Role = (typeof ROLES)[number];

/** Parses one raw field into `out`; returns an error reason, or undefined when fine. */
type FieldFn = (raw: string, out: DecodedValues) => string | undefined;

const INT_RE = /^[+-]?\d{1,15}$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX_RE = /^(0[xX])?[0-9a-fA-F]{1,13}$/;
const BCD_RE = /^\d{1,15}$/;
const TRUE = new Set(['1', 'true', 'TRUE', 'T', 't', 'Y', 'y', 'on', 'ON']);
const FALSE = new Set(['0', 'false', 'FALSE', 'F', 'f', 'N', 'n', 'off', 'OFF']);

/** Text → number per type, picked once per field at compile time. */
const PARSERS: Record<Exclude<FieldType, 'string' | 'composite'>, (raw: string) => number | undefined> = {
  int: (raw) => (INT_RE.test(raw) ? Number(raw) : undefined),
  enum: (raw) => (INT_RE.test(raw) ? Number(raw) : undefined),
  float: (raw) => (FLOAT_RE.test(raw) ? Number(raw) : undefined),
  hex: (raw) => (HEX_RE.test(raw) ? parseInt(raw.replace(/^0[xX]/, ''), 16) : undefined),
  // Packed BCD written as hex digits: every nibble must be 0-9, so the text reads as decimal.
  bcd: (raw) => (BCD_RE.test(raw) ? Number(raw) : undefined),
  bool: (raw) => (TRUE.has(raw) ? 1 : FALSE.has(raw) ? 0 : undefined),
};
const noNumber = (): undefined => undefined;

const bitSet = (word: number, bit: number): boolean => Math.floor(word / 2 ** bit) % 2 === 1;

function compileField(o: Obj, at: string, prefix: string): FieldFn {
  const type = oneOf(o.type, `${at}.type`, FIELD_TYPES);
  const name = metricName(prefix + str(o.name, `${at}.name`), `${at}.name`);
  const dfltRole: Role = type === 'string' ? 'attribute' : 'metric';
  const role = oneOf(o.role, `${at}.role`, ROLES, dfltRole);
  const required = o.required === true;
  const scaled = compileScale(num(o.scale, `${at}.scale`, 1), num(o.offset, `${at}.offset`, 0));
  const unit = optStr(o.unit, `${at}.unit`);
  const absent = (): string | undefined => (required ? `field ${name} is required but empty` : undefined);
  const parseNumber = type === 'string' || type === 'composite' ? noNumber : PARSERS[type];

  if (type === 'composite') {
    const delim = str(o.delimiter ?? '&', `${at}.delimiter`);
    const parts = arr(o.parts, `${at}.parts`).map((p, i) =>
      compileField(obj(p, `${at}.parts[${i}]`), `${at}.parts[${i}]`, `${name}.`),
    );
    if (parts.length === 0) fail(`${at}.parts`, 'a composite needs at least one part');
    return (raw, out) => {
      if (raw === '') return absent();
      const subs = raw.split(delim);
      if (subs.length > parts.length)
        return `field ${name}: ${subs.length} parts, expected at most ${parts.length}`;
      for (let i = 0; i < parts.length; i++) {
        const err = parts[i]!(subs[i] ?? '', out);
        if (err) return err;
      }
      return undefined;
    };
  }
  if (role === 'ignore') return () => undefined;
  if (type === 'string') {
    if (role !== 'attribute' && role !== 'code')
      fail(`${at}.role`, 'a string field is an attribute or a code');
  }
  if (role === 'status') {
    if (type !== 'hex' && type !== 'int' && type !== 'bcd')
      fail(`${at}.type`, 'status fields are hex, int or bcd');
    const bits = Object.entries(obj(o.bits, `${at}.bits`)).map(([k, t]) => {
      const bit = Number(k);
      if (!Number.isInteger(bit) || bit < 0 || bit > 52) fail(`${at}.bits.${k}`, 'bit must be 0-52');
      return { bit, t: template(t, `${at}.bits.${k}`) };
    });
    return (raw, out) => {
      if (raw === '') return absent();
      const word = parseNumber(raw);
      if (word === undefined) return `field ${name}: "${raw}" is not ${type}`;
      for (const { bit, t } of bits)
        if (bitSet(word, bit)) out.events.push({ ...t, fields: { field: name, bit, word: raw } });
      return undefined;
    };
  }
  if (role === 'code') {
    const codes = templateTable(o.codes, `${at}.codes`);
    const ok = new Set(arr(o.ok ?? ['0'], `${at}.ok`).map(String));
    const fallback: EventTemplate | undefined =
      o.default === undefined ? undefined : template(o.default, `${at}.default`);
    return (raw, out) => {
      if (raw === '') return absent();
      let key = raw;
      if (type !== 'string') {
        const n = parseNumber(raw);
        if (n === undefined) return `field ${name}: "${raw}" is not ${type}`;
        key = String(n);
      }
      if (ok.has(key)) return undefined;
      const t = codes.get(key) ?? fallback;
      out.events.push(
        t
          ? { ...t, fields: { field: name, value: raw } }
          : {
              code: 'UNKNOWN_CODE',
              severity: 'warning',
              message: `unknown code ${raw} in ${name}`,
              fields: { field: name, value: raw },
            },
      );
      return undefined;
    };
  }
  const labels = new Map(
    Object.entries(optObj(o.labels, `${at}.labels`) ?? {}).map(([k, v]) => [k, String(v)]),
  );
  if (type === 'enum' && labels.size === 0) fail(`${at}.labels`, 'an enum needs labels (code → label)');
  return (raw, out) => {
    if (raw === '') return absent();
    if (type === 'string') {
      out.attributes.push({ name, text: raw.slice(0, 256) });
      return undefined;
    }
    const n = parseNumber(raw);
    if (n === undefined) return `field ${name}: "${raw}" is not ${type}`;
    if (type === 'enum') {
      const label = labels.get(String(n));
      if (label === undefined)
        return `field ${name}: ${raw} is not one of the enum codes ${[...labels.keys()].join(', ')}`;
      out.attributes.push({ name, text: label });
      if (role === 'metric') out.metrics.push({ name, value: n });
      return undefined;
    }
    if (role === 'attribute') out.attributes.push({ name, text: raw });
    else out.metrics.push(unit === undefined ? { name, value: scaled(n) } : { name, value: scaled(n), unit });
    return undefined;
  };
}

interface ChecksumSpec {
  sum: Checksum;
  covers: 'before-last-delimiter' | 'through-last-delimiter';
  encoding: 'hex' | 'decimal';
}

export function compileCsv(def: DecoderDefinition): Decoder {
  const spec = def.spec;
  const delimiter = str(spec.delimiter ?? ',', 'spec.delimiter');
  const c = optObj(spec.checksum, 'spec.checksum');
  const cs: ChecksumSpec | undefined = c && {
    sum: compileChecksum(c, 'spec.checksum'),
    covers: oneOf(
      c.covers,
      'spec.checksum.covers',
      ['before-last-delimiter', 'through-last-delimiter'] as const,
      'before-last-delimiter',
    ),
    encoding: oneOf(c.encoding, 'spec.checksum.encoding', ['hex', 'decimal'] as const, 'hex'),
  };
  const minFields = spec.minFields === undefined ? 0 : int(spec.minFields, 'spec.minFields', 1);
  const idField =
    spec.deviceIdField === undefined ? undefined : int(spec.deviceIdField, 'spec.deviceIdField');
  const ts = optObj(spec.timestamp, 'spec.timestamp');
  const tsField = ts ? int(ts.field, 'spec.timestamp.field') : undefined;
  const tsFormat: TimeFormat = oneOf(ts?.format, 'spec.timestamp.format', TIME_FORMATS, 'auto');
  const fieldDefs = arr(spec.fields, 'spec.fields');
  const seen = new Set<number>();
  const fields = fieldDefs.map((f, i) => {
    const at = `spec.fields[${i}]`;
    const o = obj(f, at);
    const index = int(o.index, `${at}.index`);
    if (seen.has(index)) fail(`${at}.index`, `position ${index} is declared twice`);
    seen.add(index);
    return { index, fn: compileField(o, at, '') };
  });

  return {
    definition: def,
    decode(payload) {
      let text = payload.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.length === 0) return { ok: false, reason: 'empty telegram' };
      // eslint-disable-next-line no-control-regex -- rejecting control bytes is the point
      if (/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(text))
        return { ok: false, reason: 'telegram contains binary or control bytes' };
      if (cs) {
        const last = text.lastIndexOf(delimiter);
        if (last < 0) return { ok: false, reason: 'no checksum field (no delimiter in telegram)' };
        const given = text.slice(last + delimiter.length).trim();
        const covered =
          cs.covers === 'before-last-delimiter'
            ? text.slice(0, last)
            : text.slice(0, last + delimiter.length);
        const expected = cs.sum.compute(Buffer.from(covered, 'utf8'));
        const ok =
          cs.encoding === 'hex'
            ? /^[0-9a-fA-F]{1,16}$/.test(given) && BigInt(`0x${given}`) === expected
            : /^\d{1,20}$/.test(given) && BigInt(given) === expected;
        if (!ok) {
          const want =
            cs.encoding === 'hex'
              ? expected.toString(16).toUpperCase().padStart(cs.sum.hexDigits, '0')
              : String(expected);
          return {
            ok: false,
            reason: `checksum mismatch: telegram says "${given}", ${cs.sum.label} over ${cs.covers.replace(/-/g, ' ')} is ${want}`,
          };
        }
      }
      // Positions are numbered over the whole line as sent, the checksum included, exactly like `index`.
      const parts = text.split(delimiter);
      if (parts.length < minFields) {
        const range = `0-${parts.length - 1}${cs ? ', the checksum included' : ''}`;
        return {
          ok: false,
          reason: `telegram has ${parts.length} positions (${range}), expected at least ${minFields}`,
        };
      }
      const out: DecodedValues = { metrics: [], events: [], attributes: [] };
      if (tsField !== undefined) {
        const raw = parts[tsField] ?? '';
        if (raw !== '') {
          const t = parseTime(raw, tsFormat);
          if (t === undefined)
            return { ok: false, reason: `timestamp field ${tsField}: cannot read "${raw}" as ${tsFormat}` };
          out.ts = t;
        }
      }
      if (idField !== undefined && (parts[idField] ?? '') !== '') out.deviceId = parts[idField]!.trim();
      for (const f of fields) {
        const err = f.fn(parts[f.index] ?? '', out);
        if (err) return { ok: false, reason: err };
      }
      return { ok: true, values: out };
    },
  };
}
