/**
 * A hand-written Pratt parser for AWS IoT SQL 2016-03-23:
 *   SELECT [VALUE] <items> FROM '<topic filter>' [WHERE <condition>]
 * Hand-written rather than chevrotain/peggy/ohm-js: the grammar is small (one statement, ~12
 * precedence levels), every error must name its position and token in words a rule author reads,
 * and there is no runtime dependency or generated file to keep in step. Binding powers, lowest
 * first: OR, AND, NOT, comparison (= <> != < <= > >= IS IN CONTAINS), + - ||, * / %, unary - +,
 * then postfix `.name` and `[index]`.
 */
import type { BinOp, Expr, Query, SelectItem, Statement } from './sql-ast.js';
import { errorAt } from './sql-errors.js';
import { tokenize, type Token } from './sql-lexer.js';
import { FUNCTION_NAMES } from './sql-function-names.js';

const CAST_TYPES = new Set(['INT', 'INTEGER', 'DECIMAL', 'BOOL', 'BOOLEAN', 'STRING', 'VARCHAR']);
const RESERVED = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AS',
  'AND',
  'OR',
  'NOT',
  'IS',
  'IN',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
]);

const INFIX: Record<string, number> = {
  OR: 10,
  AND: 20,
  '=': 40,
  '<>': 40,
  '!=': 40,
  '<': 40,
  '<=': 40,
  '>': 40,
  '>=': 40,
  IS: 40,
  IN: 40,
  CONTAINS: 40,
  NOT: 40, // NOT IN
  '+': 50,
  '-': 50,
  '||': 50,
  '*': 60,
  '/': 60,
  '%': 60,
  '.': 80,
  '[': 80,
};

export function parseStatement(src: string): Statement {
  const p = new Parser(src);
  const q = p.query(true) as Statement;
  p.expectEnd();
  return q;
}

/** Parse one expression (substitution templates `${…}` in action fields). */
export function parseExpression(src: string): Expr {
  const p = new Parser(src);
  const e = p.expr(0);
  p.expectEnd();
  return e;
}

class Parser {
  private readonly toks: Token[];
  private i = 0;

  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }

  private get t(): Token {
    return this.toks[this.i]!;
  }

  private fail(why: string, tok: Token = this.t): never {
    throw errorAt(this.src, tok.offset, tok.raw, why);
  }

  private isKw(kw: string, tok: Token = this.t): boolean {
    return tok.kind === 'ident' && tok.upper === kw;
  }

  private isOp(op: string, tok: Token = this.t): boolean {
    return tok.kind === 'op' && tok.text === op;
  }

  private eatKw(kw: string): boolean {
    if (!this.isKw(kw)) return false;
    this.i++;
    return true;
  }

  private eatOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }

  private expectKw(kw: string, why = `expected ${kw}`): void {
    if (!this.eatKw(kw)) this.fail(why);
  }

  private expectOp(op: string, why = `expected '${op}'`): void {
    if (!this.eatOp(op)) this.fail(why);
  }

  expectEnd(): void {
    if (this.t.kind !== 'eof') this.fail('unexpected text after the end of the statement');
  }

  query(outer: boolean): Query {
    this.expectKw('SELECT', 'a rule statement starts with SELECT');
    const value = this.eatKw('VALUE');
    const items: SelectItem[] = [];
    do items.push(this.selectItem(value));
    while (!value && this.eatOp(','));
    this.expectKw('FROM', items.length > 0 ? "expected ',' or FROM after the select list" : 'expected FROM');
    let from: string | Expr;
    if (outer) {
      if (this.t.kind !== 'string')
        this.fail("FROM needs a topic filter in quotes, e.g. FROM 'sensors/+/temp'");
      from = this.t.text;
      const filterTok = this.t;
      this.i++;
      const bad = topicFilterProblem(from);
      if (bad) this.fail(`invalid topic filter: ${bad}`, filterTok);
    } else from = this.expr(0);
    let where: Expr | undefined;
    if (this.eatKw('WHERE')) where = this.expr(0);
    return { value, items, from, ...(where ? { where } : {}) };
  }

  private selectItem(value: boolean): SelectItem {
    if (!value && this.isOp('*')) {
      this.i++;
      return { e: { k: 'star' } };
    }
    const e = this.expr(0);
    if (value) return { e };
    if (this.eatKw('AS')) {
      const n = this.t;
      if ((n.kind !== 'ident' || RESERVED.has(n.upper)) && n.kind !== 'qident' && n.kind !== 'string')
        this.fail('expected a name after AS');
      this.i++;
      return { e, as: n.text };
    }
    if (e.k === 'ident' || e.k === 'member') return { e, as: e.name };
    return { e };
  }

  expr(minBp: number): Expr {
    let left = this.prefix();
    for (;;) {
      const t = this.t;
      const key = t.kind === 'op' ? t.text : t.kind === 'ident' ? t.upper : '';
      const bp = INFIX[key];
      if (bp === undefined || bp <= minBp) break;
      if (key === 'NOT' && !this.isKw('IN', this.toks[this.i + 1])) break;
      this.i++;
      left = this.infix(key, left, bp);
    }
    return left;
  }

  private infix(op: string, left: Expr, bp: number): Expr {
    switch (op) {
      case '.': {
        const n = this.t;
        if (n.kind !== 'ident' && n.kind !== 'qident') this.fail("expected a key name after '.'");
        this.i++;
        return { k: 'member', obj: left, name: n.text };
      }
      case '[': {
        const index = this.expr(0);
        this.expectOp(']');
        return { k: 'index', obj: left, index };
      }
      case 'IS': {
        const not = this.eatKw('NOT');
        if (this.eatKw('NULL')) return { k: 'is', e: left, what: 'NULL', not };
        if (this.eatKw('UNDEFINED')) return { k: 'is', e: left, what: 'UNDEFINED', not };
        return this.fail('expected NULL or UNDEFINED after IS');
      }
      case 'NOT':
        this.i++; // IN
        return this.inList(left, true);
      case 'IN':
        return this.inList(left, false);
      case '!=':
        return { k: 'bin', op: '<>', l: left, r: this.expr(bp) };
      default:
        return { k: 'bin', op: op as BinOp, l: left, r: this.expr(bp) };
    }
  }

  private inList(e: Expr, not: boolean): Expr {
    if (this.isOp('(') && !this.isKw('SELECT', this.toks[this.i + 1])) {
      this.i++;
      const list: Expr[] = [];
      if (!this.isOp(')'))
        do list.push(this.expr(0));
        while (this.eatOp(','));
      this.expectOp(')', "expected ',' or ')' in the IN list");
      return { k: 'in', e, list, not };
    }
    return { k: 'in', e, list: this.expr(40), not };
  }

  private prefix(): Expr {
    const t = this.t;
    switch (t.kind) {
      case 'number':
        this.i++;
        return { k: 'lit', v: Number(t.text) };
      case 'string':
        this.i++;
        return { k: 'lit', v: t.text };
      case 'qident':
        this.i++;
        return { k: 'ident', name: t.text };
      case 'eof':
        return this.fail('expected an expression');
      case 'op':
        return this.prefixOp(t);
      case 'ident':
        return this.prefixWord(t);
    }
  }

  private prefixOp(t: Token): Expr {
    this.i++;
    switch (t.text) {
      case '-':
      case '+': {
        const e = this.expr(70);
        if (e.k === 'lit' && typeof e.v === 'number') return { k: 'lit', v: t.text === '-' ? -e.v : e.v };
        return { k: 'unary', op: t.text, e };
      }
      case '*':
        return { k: 'star' };
      case '(': {
        if (this.isKw('SELECT')) {
          const q = this.query(false);
          this.expectOp(')');
          return { k: 'query', q };
        }
        const e = this.expr(0);
        this.expectOp(')', "expected ')'");
        return e;
      }
      case '[': {
        const items: Expr[] = [];
        if (!this.isOp(']'))
          do items.push(this.expr(0));
          while (this.eatOp(','));
        this.expectOp(']', "expected ',' or ']' in the array");
        return { k: 'array', items };
      }
      case '{': {
        const entries: { key: string; value: Expr }[] = [];
        if (!this.isOp('}'))
          do {
            const k = this.t;
            if (k.kind !== 'string' && k.kind !== 'ident' && k.kind !== 'qident')
              this.fail('expected a key in the object');
            this.i++;
            this.expectOp(':', "expected ':' after the key");
            entries.push({ key: k.text, value: this.expr(0) });
          } while (this.eatOp(','));
        this.expectOp('}', "expected ',' or '}' in the object");
        return { k: 'object', entries };
      }
    }
    this.i--;
    return this.fail(`unexpected '${t.text}'`);
  }

  private prefixWord(t: Token): Expr {
    switch (t.upper) {
      case 'TRUE':
        this.i++;
        return { k: 'lit', v: true };
      case 'FALSE':
        this.i++;
        return { k: 'lit', v: false };
      case 'NULL':
        this.i++;
        return { k: 'lit', v: null };
      case 'NOT':
        this.i++;
        return { k: 'unary', op: 'NOT', e: this.expr(30) };
      case 'CASE':
        this.i++;
        return this.caseExpr();
    }
    if (this.isOp('(', this.toks[this.i + 1])) return this.call(t);
    if (RESERVED.has(t.upper)) this.fail(`unexpected keyword ${t.upper}`);
    this.i++;
    return { k: 'ident', name: t.text };
  }

  private call(t: Token): Expr {
    const name = t.text.toLowerCase();
    if (!FUNCTION_NAMES.has(name)) this.fail(`unknown function ${t.text}()`);
    this.i += 2;
    if (name === 'cast') {
      const e = this.expr(0);
      this.expectKw('AS', 'cast needs AS: cast(value AS Int|Decimal|Boolean|String)');
      const ty = this.t;
      if (ty.kind !== 'ident' || !CAST_TYPES.has(ty.upper))
        this.fail('cast to Int, Decimal, Boolean or String');
      this.i++;
      this.expectOp(')');
      return { k: 'call', name, args: [e], cast: ty.upper, offset: t.offset };
    }
    const args: Expr[] = [];
    if (!this.isOp(')'))
      do args.push(this.expr(0));
      while (this.eatOp(','));
    this.expectOp(')', `expected ',' or ')' in the arguments of ${t.text}()`);
    return { k: 'call', name, args, offset: t.offset };
  }

  private caseExpr(): Expr {
    const subject = this.isKw('WHEN') ? undefined : this.expr(0);
    const whens: { when: Expr; then: Expr }[] = [];
    while (this.eatKw('WHEN')) {
      const when = this.expr(0);
      this.expectKw('THEN', 'expected THEN after the WHEN condition');
      whens.push({ when, then: this.expr(0) });
    }
    if (whens.length === 0) this.fail('CASE needs at least one WHEN');
    const els = this.eatKw('ELSE') ? this.expr(0) : undefined;
    this.expectKw('END', 'expected WHEN, ELSE or END in CASE');
    return { k: 'case', ...(subject ? { subject } : {}), whens, ...(els ? { else: els } : {}) };
  }
}

/** Why a FROM topic filter is not a valid MQTT filter [MQTT-4.7.1-2/3], or null. */
export function topicFilterProblem(f: string): string | null {
  if (f.length === 0) return 'empty';
  if (f.startsWith('$share/')) return 'shared subscriptions are not rule sources';
  const levels = f.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return "'#' must be the last level, alone";
    if (l.includes('+') && l !== '+') return "'+' must fill a whole level";
  }
  return null;
}
