/**
 * AWS IoT SQL values (2016-03-23) as JavaScript values: `undefined` is Undefined (omitted from
 * output), `null` is Null, numbers are Int when whole (SQL V2 treats 10.0 as Int) and Decimal
 * otherwise, strings, booleans, arrays, plain objects, and a Buffer for a payload that is not JSON
 * (AWS: binary payloads, reachable only through `*`). Decimals are IEEE doubles here, not AWS's
 * 34-digit decimals (docs/rules.md, differences).
 *
 * Conversions follow the data-types table of the AWS IoT SQL reference: there are no conversions to
 * Array, Object, Null or Undefined; a conversion that cannot be made gives Undefined.
 */
export type Value = undefined | null | number | string | boolean | Buffer | Value[] | { [k: string]: Value };
export type Obj = { [k: string]: Value };

export type TypeName =
  'Undefined' | 'Null' | 'Int' | 'Decimal' | 'String' | 'Boolean' | 'Array' | 'Object' | 'Binary';

export function typeOf(v: Value): TypeName {
  if (v === undefined) return 'Undefined';
  if (v === null) return 'Null';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) ? 'Int' : 'Decimal';
    case 'string':
      return 'String';
    case 'boolean':
      return 'Boolean';
  }
  if (Buffer.isBuffer(v)) return 'Binary';
  return Array.isArray(v) ? 'Array' : 'Object';
}

export const isObj = (v: Value): v is Obj =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);

const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** To Decimal: numbers as they are; strings that parse as a number; everything else Undefined. */
export function toNumber(v: Value): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

/** To Boolean (implicit conversion for AND/OR/NOT): booleans, and the strings "true"/"false" in any case. */
export function toBoolean(v: Value): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const l = v.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
  }
  return undefined;
}

/** To String: how `+` and the string functions see a non-string value. Undefined stays Undefined. */
export function toStr(v: Value): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean' || v === null) return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return toJson(v);
}

export function numberToString(n: number): string {
  return String(n);
}

/** JSON text of a value; Undefined members are omitted (AWS: `{"foo":null,"bar":undefined}` → `{"foo":null}`). */
export function toJson(v: Value): string {
  return JSON.stringify(v, (_k, x: unknown) => (Buffer.isBuffer(x) ? x.toString('base64') : x)) ?? '';
}

/** Value equality for `=`, `<>`, IN and CASE: Int and Decimal compare numerically, objects ignore key order. */
export function valueEquals(a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object') return a === b;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b))
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => valueEquals(x, b[i]));
  }
  const ao = a;
  const bo = b as Obj;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(bo, k) && valueEquals(ao[k], bo[k]));
}

/** Parse a payload the way the rules engine sees it: JSON when it is JSON, otherwise binary. */
export function payloadValue(raw: Buffer): Value {
  if (raw.length === 0) return raw;
  const c = raw[0]!;
  // Fast refusal for obvious binary; JSON may start with whitespace, {, [, ", a digit, -, t, f, n.
  if (c > 0x7e) return raw;
  try {
    return JSON.parse(raw.toString('utf8')) as Value;
  } catch {
    return raw;
  }
}
