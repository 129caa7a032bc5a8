/**
 * Substitution templates (AWS: `${expression}` inside action fields, e.g. `alerts/${topic(2)}`).
 * Each `${…}` is an AWS IoT SQL expression evaluated against the incoming message; a template that
 * is exactly one `${expr}` keeps the value's type (used for PostgreSQL columns), otherwise the parts
 * are joined as text (Undefined becomes '', as AWS does).
 */
import type { Expr } from './sql-ast.js';
import { RuleSqlError } from './sql-errors.js';
import { evaluateExpression } from './sql-eval.js';
import type { MessageEnv } from './sql-functions.js';
import { parseExpression } from './sql-parser.js';
import { toStr, type Value } from './sql-values.js';

export type Template = (string | Expr)[];

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function compileTemplate(src: string): Template {
  const out: Template = [];
  let i = 0;
  while (i < src.length) {
    const at = src.indexOf('${', i);
    if (at < 0) {
      out.push(src.slice(i));
      break;
    }
    if (at > i) out.push(src.slice(i, at));
    const end = src.indexOf('}', at);
    if (end < 0) throw new TemplateError(`unterminated \${ at offset ${at}`, at);
    try {
      out.push(parseExpression(src.slice(at + 2, end)));
    } catch (e) {
      if (e instanceof RuleSqlError)
        throw new TemplateError(`in \${…} at offset ${at}: ${e.message}`, at + 2 + e.offset);
      throw e;
    }
    i = end + 1;
  }
  return out;
}

export function hasSubstitutions(t: Template): boolean {
  return t.some((p) => typeof p !== 'string');
}

export function renderValue(t: Template, env: MessageEnv, payload: Value): Value {
  if (t.length === 1 && typeof t[0] !== 'string') return evaluateExpression(t[0]!, env, payload);
  return renderText(t, env, payload);
}

export function renderText(t: Template, env: MessageEnv, payload: Value): string {
  let s = '';
  for (const p of t) s += typeof p === 'string' ? p : (toStr(evaluateExpression(p, env, payload)) ?? '');
  return s;
}
