/**
 * Tokens of the AWS IoT SQL dialect. Strings: 'single' or "double" quoted (AWS's function examples
 * use both), with the quote doubled or backslash-escaped inside; `back-quoted` names are identifiers
 * that may hold any character (keys such as `my-key`). Keywords are case-insensitive.
 */
import { errorAt } from './sql-errors.js';

export type TokenKind = 'ident' | 'qident' | 'string' | 'number' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier/keyword text as written, the string's value, the number's text, or the operator. */
  text: string;
  /** Upper-cased text of identifiers (keyword comparisons). */
  upper: string;
  offset: number;
  /** The token's source text (error messages). */
  raw: string;
}

const OPS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '||',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  ':',
];

const isIdentStart = (c: string): boolean => /[A-Za-z_$]/.test(c);
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c);

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string, start: number): void => {
    out.push({
      kind,
      text,
      upper: kind === 'ident' ? text.toUpperCase() : text,
      offset: start,
      raw: src.slice(start, i),
    });
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && src[i + 1] === '-') {
      while (i < src.length && src[i] !== '\n') i++; // -- comment
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === '`') {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length)
          throw errorAt(src, start, src.slice(start, start + 20), 'unterminated quoted text');
        const d = src[i]!;
        if (d === '\\' && i + 1 < src.length) {
          const e = src[i + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
          continue;
        }
        if (d === c) {
          if (src[i + 1] === c) {
            s += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += d;
        i++;
      }
      push(c === '`' ? 'qident' : 'string', s, start);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      while (/[0-9]/.test(src[i] ?? '')) i++;
      if (src[i] === '.' && /[0-9]/.test(src[i + 1] ?? '')) {
        i++;
        while (/[0-9]/.test(src[i] ?? '')) i++;
      }
      if (/[eE]/.test(src[i] ?? '') && /[0-9+-]/.test(src[i + 1] ?? '')) {
        i += 2;
        while (/[0-9]/.test(src[i] ?? '')) i++;
      }
      if (isIdentStart(src[i] ?? '')) throw errorAt(src, start, src.slice(start, i + 1), 'malformed number');
      push('number', src.slice(start, i), start);
      continue;
    }
    if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src[i]!)) i++;
      push('ident', src.slice(start, i), start);
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw errorAt(src, i, c, `unexpected character '${c}'`);
    i += op.length;
    push('op', op, start);
  }
  out.push({ kind: 'eof', text: '', upper: '', offset: src.length, raw: '' });
  return out;
}
