/**
 * Built-in functions (AWS IoT SQL reference, "Functions"). Wrong argument types or counts give
 * Undefined, as AWS documents; arguments of the wrong type are converted first where the data-types
 * table allows (abs("-5.1") is abs(-5.1)). `get_shadow`, `device` and `decoded` need I/O: sql-eval.ts
 * fetches them before the synchronous evaluation and this table only reads the result.
 */
import { randomUUID } from 'node:crypto';
import { parseTime } from './parse-time.js';
import { isObj, toBoolean, toNumber, toStr, typeOf, type Value } from './sql-values.js';

/** What a message gives the functions. */
export interface MessageEnv {
  topic: string;
  clientId: string | undefined;
  principal: string | undefined;
  /** The payload's bytes (encode(*, …)). */
  raw: Buffer;
  now: number;
  newId?: () => string;
  /** Rules whose republish produced this message, oldest first (loop protection; empty for clients). */
  rulePath?: readonly string[];
}

type Fn = (args: Value[], env: MessageEnv) => Value;

const str = (v: Value): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? toStr(v) : undefined;
const num = (v: Value): number | undefined =>
  typeof v === 'number' || typeof v === 'string' ? toNumber(v) : undefined;
const int = (v: Value): number | undefined => {
  const n = num(v);
  return n === undefined ? undefined : Math.floor(n);
};

function unaryNum(f: (n: number) => number): Fn {
  return ([a]) => {
    const n = num(a);
    if (n === undefined) return undefined;
    const r = f(n);
    return Number.isFinite(r) ? r : undefined;
  };
}

/** AWS: halves round away from zero (round(-1.5) = -2), like Java's HALF_UP. */
const roundHalfUp = (n: number): number => Math.sign(n) * Math.round(Math.abs(n)) + 0;

/** cast(v AS type): the explicit conversions of the "cast" table. */
export function castTo(v: Value, type: string): Value {
  switch (type) {
    case 'INT':
    case 'INTEGER': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      const n = num(v);
      return n === undefined ? undefined : Math.trunc(n);
    }
    case 'DECIMAL': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      return num(v);
    }
    case 'BOOL':
    case 'BOOLEAN':
      if (typeof v === 'number') return v !== 0;
      return toBoolean(v);
    default:
      if (v === null) return undefined;
      return typeof v === 'object' && !Buffer.isBuffer(v) ? undefined : toStr(v);
  }
}

function substring([s0, a0, b0]: Value[]): Value {
  const s = str(s0);
  const start = int(a0);
  if (s === undefined || start === undefined) return undefined;
  const end = b0 === undefined ? s.length : int(b0);
  if (end === undefined) return undefined;
  const from = Math.max(0, Math.min(start, s.length));
  const to = Math.max(0, Math.min(end, s.length));
  return to <= from ? '' : s.slice(from, to);
}

function concat(args: Value[]): Value {
  if (args.length < 2 || args.some((a) => a === undefined)) return undefined;
  if (args.some(Array.isArray)) return args.flatMap((a) => (Array.isArray(a) ? a : [a]));
  let out = '';
  for (const a of args) {
    const s = toStr(a);
    if (s === undefined) return undefined;
    out += s;
  }
  return out;
}

function regex(p: Value): RegExp | undefined {
  const s = str(p);
  if (s === undefined) return undefined;
  try {
    return new RegExp(s);
  } catch {
    return undefined;
  }
}

function isEmpty(v: Value): Value {
  if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).length === 0;
  return v === undefined ? undefined : false;
}

const is =
  (t: string) =>
  ([v]: Value[]): Value =>
    typeOf(v) === t;

export const FUNCTIONS: Record<string, Fn> = {
  topic: ([n], env) => {
    if (n === undefined) return env.topic;
    const i = int(n);
    if (i === undefined || i < 1) return undefined;
    return env.topic.split('/')[i - 1];
  },
  clientid: (_a, env) => env.clientId ?? 'n/a',
  principal: (_a, env) => env.principal ?? env.clientId,
  timestamp: (_a, env) => env.now,
  newuuid: (_a, env) => (env.newId ?? randomUUID)(),
  encode: ([v, scheme]) => {
    if (typeof scheme !== 'string' || scheme.toLowerCase() !== 'base64' || v === undefined) return undefined;
    const bytes = Buffer.isBuffer(v) ? v : Buffer.from(toStr(v) ?? '', 'utf8');
    return bytes.toString('base64');
  },
  get: ([c, k]) => {
    if (Array.isArray(c)) {
      const i = int(k);
      return i === undefined ? undefined : c[i];
    }
    if (isObj(c)) {
      const key = str(k);
      return key === undefined ? undefined : c[key];
    }
    return undefined;
  },
  concat,
  lower: ([s]) => str(s)?.toLowerCase(),
  upper: ([s]) => str(s)?.toUpperCase(),
  trim: ([s]) => str(s)?.trim(),
  ltrim: ([s]) => str(s)?.trimStart(),
  rtrim: ([s]) => str(s)?.trimEnd(),
  length: ([s]) => (Array.isArray(s) ? s.length : str(s)?.length),
  indexof: ([s, t]) => {
    const a = str(s);
    const b = str(t);
    return a === undefined || b === undefined ? undefined : a.indexOf(b);
  },
  substring,
  startswith: ([s, p]) => {
    const a = str(s);
    const b = str(p);
    return a === undefined || b === undefined ? undefined : a.startsWith(b);
  },
  endswith: ([s, p]) => {
    const a = str(s);
    const b = str(p);
    return a === undefined || b === undefined ? undefined : a.endsWith(b);
  },
  replace: ([s, f, r]) => {
    const a = str(s);
    const b = str(f);
    const c = str(r);
    return a === undefined || b === undefined || c === undefined ? undefined : a.split(b).join(c);
  },
  regexp_matches: ([s, p]) => {
    const a = str(s);
    const re = regex(p);
    return a === undefined || !re ? undefined : re.test(a);
  },
  regexp_replace: ([s, p, r]) => {
    const a = str(s);
    const re = regex(p);
    const c = str(r);
    if (a === undefined || !re || c === undefined) return undefined;
    // AWS (Java) writes group references as $1 and the whole match as $0; JavaScript calls it $&.
    return a.replace(new RegExp(re.source, 'g'), c.replace(/\$0/g, '$$&'));
  },
  regexp_substr: ([s, p]) => {
    const a = str(s);
    const re = regex(p);
    if (a === undefined || !re) return undefined;
    return re.exec(a)?.[0] ?? '';
  },
  abs: unaryNum(Math.abs),
  round: unaryNum(roundHalfUp),
  floor: unaryNum(Math.floor),
  ceil: unaryNum((n) => Math.ceil(n) + 0),
  trunc: ([a, d]) => {
    const n = num(a);
    const p = d === undefined ? 0 : int(d);
    if (n === undefined || p === undefined) return undefined;
    const f = 10 ** p;
    return Math.trunc(n * f) / f;
  },
  sign: unaryNum(Math.sign),
  sqrt: ([a]) => {
    const n = num(a);
    return n === undefined || n < 0 ? undefined : Math.sqrt(n);
  },
  power: ([a, b]) => {
    const x = num(a);
    const y = num(b);
    if (x === undefined || y === undefined) return undefined;
    const r = x ** y;
    return Number.isFinite(r) ? r : undefined;
  },
  mod: ([a, b]) => {
    const x = num(a);
    const y = num(b);
    return x === undefined || y === undefined || y === 0 ? undefined : x % y;
  },
  ln: ([a]) => {
    const n = num(a);
    return n === undefined || n <= 0 ? undefined : Math.log(n);
  },
  log: ([a]) => {
    const n = num(a);
    return n === undefined || n <= 0 ? undefined : Math.log10(n);
  },
  exp: unaryNum(Math.exp),
  isnull: ([v]) => v === null,
  isundefined: ([v]) => v === undefined,
  isempty: ([v]) => isEmpty(v),
  isboolean: is('Boolean'),
  isstring: is('String'),
  isarray: is('Array'),
  isobject: is('Object'),
  isint: is('Int'),
  isdecimal: is('Decimal'),
  isnumber: ([v]) => typeof v === 'number',
  parse_time: ([p, t, tz]) => {
    const pattern = str(p);
    const ms = num(t);
    const zone = tz === undefined ? 'UTC' : str(tz);
    if (pattern === undefined || ms === undefined || zone === undefined) return undefined;
    return parseTime(pattern, Math.trunc(ms), zone);
  },
};
