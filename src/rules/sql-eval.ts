/**
 * Evaluation of a parsed statement against one message. Synchronous and allocation-light: the
 * functions that need I/O (`get_shadow`, `device`, `decoded`) are fetched first (`prefetch`) and
 * read back here, so rules without them never touch a promise.
 *
 * AWS rules followed here: a key that is absent is Undefined and is left out of the output; the
 * WHERE clause passes only when it evaluates to Boolean true (Undefined and "true" strings count as
 * their boolean, anything else does not pass); `SELECT *` of a payload that is not a JSON object
 * gives the payload itself.
 */
import type { Expr, Query, Statement } from './sql-ast.js';
import { ASYNC_FUNCTIONS } from './sql-function-names.js';
import { castTo, FUNCTIONS, type MessageEnv } from './sql-functions.js';
import { binary, inValues, negate, not } from './sql-operators.js';
import { parseStatement } from './sql-parser.js';
import { errorAt } from './sql-errors.js';
import { isObj, toBoolean, valueEquals, type Obj, type Value } from './sql-values.js';

type CallExpr = Extract<Expr, { k: 'call' }>;

/** Results of the I/O functions for one message: call node → argument list (JSON) → value. */
export type Fetched = Map<CallExpr, Map<string, Value>>;

export interface CompiledStatement {
  sql: string;
  stmt: Statement;
  /** Calls to I/O functions, fetched before evaluation. */
  asyncCalls: CallExpr[];
}

/** Fetch one I/O function's value (the module wires shadows, the registry and decoders). */
export type AsyncFunctionHost = (
  name: string,
  args: Value[],
  env: MessageEnv,
  payload: Value,
) => Promise<Value>;

export function compileStatement(sql: string): CompiledStatement {
  const stmt = parseStatement(sql);
  const asyncCalls: CallExpr[] = [];
  walk(stmt, (e, inAsync) => {
    if (e.k !== 'call' || !ASYNC_FUNCTIONS.has(e.name)) return;
    if (inAsync)
      throw errorAt(sql, e.offset, e.name, `${e.name}() cannot be an argument of another I/O function`);
    asyncCalls.push(e);
  });
  return { sql, stmt, asyncCalls };
}

function walk(q: Query, visit: (e: Expr, inAsync: boolean) => void): void {
  const go = (e: Expr | undefined, inAsync: boolean): void => {
    if (!e) return;
    visit(e, inAsync);
    switch (e.k) {
      case 'member':
        return go(e.obj, inAsync);
      case 'index':
        go(e.obj, inAsync);
        return go(e.index, inAsync);
      case 'call': {
        const nowAsync = inAsync || ASYNC_FUNCTIONS.has(e.name);
        for (const a of e.args) go(a, nowAsync);
        return;
      }
      case 'unary':
        return go(e.e, inAsync);
      case 'bin':
        go(e.l, inAsync);
        return go(e.r, inAsync);
      case 'is':
        return go(e.e, inAsync);
      case 'in':
        go(e.e, inAsync);
        if (Array.isArray(e.list)) for (const x of e.list) go(x, inAsync);
        else go(e.list, inAsync);
        return;
      case 'case':
        go(e.subject, inAsync);
        for (const w of e.whens) {
          go(w.when, inAsync);
          go(w.then, inAsync);
        }
        return go(e.else, inAsync);
      case 'object':
        for (const x of e.entries) go(x.value, inAsync);
        return;
      case 'array':
        for (const x of e.items) go(x, inAsync);
        return;
      case 'query':
        return walk(e.q, visit);
    }
  };
  for (const it of q.items) go(it.e, false);
  if (typeof q.from !== 'string') go(q.from, false);
  go(q.where, false);
}

export async function prefetch(
  c: CompiledStatement,
  env: MessageEnv,
  payload: Value,
  host: AsyncFunctionHost,
): Promise<Fetched | undefined> {
  if (c.asyncCalls.length === 0) return undefined;
  const out: Fetched = new Map();
  const ev = new Evaluator(env, undefined);
  await Promise.all(
    c.asyncCalls.map(async (call) => {
      const args = call.args.map((a) => ev.eval(a, payload));
      const key = JSON.stringify(args);
      let m = out.get(call);
      if (!m) out.set(call, (m = new Map()));
      if (m.has(key)) return;
      m.set(key, undefined);
      m.set(key, await host(call.name, args, env, payload));
    }),
  );
  return out;
}

export interface Evaluation {
  /** The WHERE clause's value (true when there is none). */
  where: Value;
  /** Did the message pass the WHERE clause? */
  matched: boolean;
  /** The SELECT output (only computed when matched, unless `always`). */
  output: Value;
}

export function evaluate(
  c: CompiledStatement,
  env: MessageEnv,
  payload: Value,
  fetched?: Fetched,
  always = false,
): Evaluation {
  const ev = new Evaluator(env, fetched);
  const where = c.stmt.where ? ev.eval(c.stmt.where, payload) : true;
  const matched = toBoolean(where) === true;
  const output = matched || always ? ev.select(c.stmt, payload) : undefined;
  return { where, matched, output };
}

class Evaluator {
  constructor(
    private readonly env: MessageEnv,
    private readonly fetched: Fetched | undefined,
  ) {}

  select(q: Query, doc: Value): Value {
    const first = q.items[0]!;
    if (q.value) return this.eval(first.e, doc);
    if (q.items.length === 1 && first.e.k === 'star') return doc;
    const out: Obj = {};
    for (let i = 0; i < q.items.length; i++) {
      const it = q.items[i]!;
      if (it.e.k === 'star') {
        if (isObj(doc)) Object.assign(out, doc);
        continue;
      }
      const v = this.eval(it.e, doc);
      if (v !== undefined) out[it.as ?? `_${i + 1}`] = v;
    }
    return out;
  }

  eval(e: Expr, doc: Value): Value {
    switch (e.k) {
      case 'lit':
        return e.v;
      case 'star':
        return doc;
      case 'ident':
        return isObj(doc) ? doc[e.name] : undefined;
      case 'member': {
        const o = this.eval(e.obj, doc);
        return isObj(o) ? o[e.name] : undefined;
      }
      case 'index': {
        const o = this.eval(e.obj, doc);
        const i = this.eval(e.index, doc);
        if (Array.isArray(o) && typeof i === 'number' && Number.isInteger(i))
          return o[i < 0 ? o.length + i : i];
        if (isObj(o) && typeof i === 'string') return o[i];
        return undefined;
      }
      case 'call':
        return this.call(e, doc);
      case 'unary': {
        const v = this.eval(e.e, doc);
        return e.op === 'NOT' ? not(v) : e.op === '-' ? negate(v) : negate(negate(v));
      }
      case 'bin':
        return binary(e.op, this.eval(e.l, doc), this.eval(e.r, doc));
      case 'is': {
        const v = this.eval(e.e, doc);
        const r = e.what === 'NULL' ? v === null : v === undefined;
        return e.not ? !r : r;
      }
      case 'in': {
        const v = this.eval(e.e, doc);
        const list = Array.isArray(e.list) ? e.list.map((x) => this.eval(x, doc)) : this.eval(e.list, doc);
        const r = inValues(v, list);
        return r === undefined ? undefined : e.not ? !r : r;
      }
      case 'case':
        return this.caseOf(e, doc);
      case 'object': {
        const o: Obj = {};
        for (const en of e.entries) {
          const v = this.eval(en.value, doc);
          if (v !== undefined) o[en.key] = v;
        }
        return o;
      }
      case 'array':
        return e.items.map((x) => this.eval(x, doc));
      case 'query':
        return this.nested(e.q, doc);
    }
  }

  private caseOf(e: Extract<Expr, { k: 'case' }>, doc: Value): Value {
    const subject = e.subject ? this.eval(e.subject, doc) : undefined;
    for (const w of e.whens) {
      const v = this.eval(w.when, doc);
      const hit = e.subject
        ? subject !== undefined && v !== undefined && valueEquals(subject, v)
        : toBoolean(v) === true;
      if (hit) return this.eval(w.then, doc);
    }
    return e.else ? this.eval(e.else, doc) : undefined;
  }

  /** Nested object query: the inner SELECT runs once per element of the FROM array. */
  private nested(q: Query, doc: Value): Value {
    const src = this.eval(q.from as Expr, doc);
    if (!Array.isArray(src)) return undefined;
    const out: Value[] = [];
    for (const el of src) {
      if (q.where && toBoolean(this.eval(q.where, el)) !== true) continue;
      const v = this.select(q, el);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  private call(e: CallExpr, doc: Value): Value {
    // encode(*, …) encodes the payload's bytes as received, JSON or not.
    const args = e.args.map((a) =>
      a.k === 'star' && e.name === 'encode' ? this.env.raw : this.eval(a, doc),
    );
    if (e.cast) return castTo(args[0], e.cast);
    const f = FUNCTIONS[e.name];
    if (f) return f(args, this.env);
    // An I/O function: its value was fetched for these arguments before evaluation.
    return this.fetched?.get(e)?.get(JSON.stringify(args));
  }
}

/** One expression against one message (substitution templates). */
export function evaluateExpression(e: Expr, env: MessageEnv, payload: Value): Value {
  return new Evaluator(env, undefined).eval(e, payload);
}
