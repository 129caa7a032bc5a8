/**
 * Operators with the AWS IoT SQL reference's operand tables ("Operators"): Int op Int stays Int
 * (division truncates), any Decimal makes a Decimal, strings that parse as numbers take part in
 * arithmetic and comparison, `+` concatenates when either side is a String, and any other mix —
 * or an Undefined operand — gives Undefined.
 */
import type { BinOp } from './sql-ast.js';
import { toBoolean, toNumber, toStr, valueEquals, type Value } from './sql-values.js';

export function logical(op: 'AND' | 'OR', l: Value, r: Value): Value {
  const a = toBoolean(l);
  const b = toBoolean(r);
  if (a === undefined || b === undefined) return undefined;
  return op === 'AND' ? a && b : a || b;
}

export function not(v: Value): Value {
  const b = toBoolean(v);
  return b === undefined ? undefined : !b;
}

function equality(l: Value, r: Value): boolean | undefined {
  if (l === undefined || r === undefined) return undefined;
  return valueEquals(l, r);
}

function compare(op: '<' | '<=' | '>' | '>=', l: Value, r: Value): Value {
  const a = toNumber(l);
  const b = toNumber(r);
  if (a === undefined || b === undefined) return undefined;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

const isInt = (v: Value): v is number => typeof v === 'number' && Number.isInteger(v);

function arithmetic(op: '+' | '-' | '*' | '/' | '%', l: Value, r: Value): Value {
  if (op === '+' && (typeof l === 'string' || typeof r === 'string')) {
    const a = toStr(l);
    const b = toStr(r);
    return a === undefined || b === undefined ? undefined : a + b;
  }
  // Only numbers, and (except for +, handled above) numeric strings, take part.
  const num = (v: Value): number | undefined =>
    typeof v === 'number' || typeof v === 'string' ? toNumber(v) : undefined;
  const a = num(l);
  const b = num(r);
  if (a === undefined || b === undefined) return undefined;
  const ints = isInt(l) && isInt(r);
  let out: number;
  switch (op) {
    case '+':
      out = a + b;
      break;
    case '-':
      out = a - b;
      break;
    case '*':
      out = a * b;
      break;
    case '/':
      if (b === 0) return undefined;
      out = ints ? Math.trunc(a / b) : a / b;
      break;
    case '%':
      if (b === 0) return undefined;
      out = a % b; // sign of the dividend, like Java's BigDecimal.remainder
      break;
  }
  return Number.isFinite(out) ? out : undefined;
}

function contains(l: Value, r: Value): Value {
  if (l === undefined || r === undefined) return undefined;
  if (Array.isArray(l)) return l.some((x) => valueEquals(x, r));
  if (typeof l === 'string') {
    const s = toStr(r);
    return s === undefined ? undefined : l.includes(s);
  }
  return undefined;
}

export function binary(op: BinOp, l: Value, r: Value): Value {
  switch (op) {
    case 'AND':
    case 'OR':
      return logical(op, l, r);
    case '=':
      return equality(l, r);
    case '<>': {
      const e = equality(l, r);
      return e === undefined ? undefined : !e;
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(op, l, r);
    case '||': {
      const a = toStr(l);
      const b = toStr(r);
      return a === undefined || b === undefined ? undefined : a + b;
    }
    case 'CONTAINS':
      return contains(l, r);
    default:
      return arithmetic(op, l, r);
  }
}

/** `x IN (a, b)` / `x IN array`: Undefined when x or the array is Undefined. */
export function inValues(v: Value, list: Value[] | Value): Value {
  if (v === undefined) return undefined;
  const arr = Array.isArray(list) ? list : undefined;
  if (!arr) return list === undefined ? undefined : false;
  return arr.some((x) => x !== undefined && valueEquals(x, v));
}

export const negate = (v: Value): Value => {
  const n = typeof v === 'number' || typeof v === 'string' ? toNumber(v) : undefined;
  return n === undefined ? undefined : 0 - n;
};
