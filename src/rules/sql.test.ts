import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileStatement, evaluate } from './sql-eval.js';
import { RuleSqlError } from './sql-errors.js';
import { EXPR_FIXTURES, SELECT_FIXTURES } from './sql-fixtures.js';
import { payloadValue, toJson, type Value } from './sql-values.js';

function run(sql: string, payload: unknown, topic = 'topic/subtopic', clientId?: string) {
  const raw = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const c = compileStatement(sql);
  return evaluate(c, { topic, clientId, principal: undefined, raw, now: 1481825251155 }, payloadValue(raw));
}

/** Compare as the output would be serialized (Undefined members dropped). */
const asJson = (v: Value): unknown => (v === undefined ? undefined : JSON.parse(toJson(v)));

describe('AWS IoT SQL: the developer guide examples', () => {
  for (const f of SELECT_FIXTURES)
    test(f.name, () => {
      const r = run(f.sql, f.payload, f.topic ?? 'topic/subtopic', f.clientId);
      if (f.out === undefined)
        return assert.equal(r.matched, false, `expected no match, WHERE gave ${toJson(r.where)}`);
      assert.equal(r.matched, true);
      if (Buffer.isBuffer(f.out)) return assert.deepEqual(r.output, f.out);
      assert.deepEqual(asJson(r.output), f.out);
    });
});

describe('AWS IoT SQL: operator and function tables', () => {
  for (const [expr, want] of EXPR_FIXTURES)
    test(expr, () => {
      const r = run(`SELECT ${expr} AS r FROM 'x'`, {});
      assert.equal(r.matched, true);
      assert.deepEqual((r.output as Record<string, unknown>).r, want);
    });
});

describe('AWS IoT SQL: behaviour around payloads', () => {
  test('SELECT * of a binary payload gives the bytes', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(run("SELECT * FROM 'a'", bytes).output, bytes);
  });
  test('keys of a binary payload are Undefined', () => {
    assert.deepEqual(run("SELECT a FROM 'a'", Buffer.from([0xff])).output, {});
  });
  test('WHERE with a "true" string passes, with 1 does not', () => {
    assert.equal(run("SELECT * FROM 'a' WHERE f", { f: 'TRUE' }).matched, true);
    assert.equal(run("SELECT * FROM 'a' WHERE f", { f: 1 }).matched, false);
  });
  test('timestamp() reads the injected clock', () => {
    assert.deepEqual(asJson(run("SELECT timestamp() AS t FROM 'a'", {}).output), { t: 1481825251155 });
  });
  test('newuuid() is a fresh v4 uuid per evaluation', () => {
    const a = (run("SELECT newuuid() AS u FROM 'a'", {}).output as { u: string }).u;
    const b = (run("SELECT newuuid() AS u FROM 'a'", {}).output as { u: string }).u;
    assert.match(a, /^[0-9a-f-]{36}$/);
    assert.notEqual(a, b);
  });
});

describe('AWS IoT SQL: errors name the position and the token', () => {
  const cases: [string, number, number, string, RegExp][] = [
    ["SELECT * FORM 'a'", 1, 10, 'FORM', /expected ',' or FROM/],
    ['SELECT color FROM a', 1, 19, 'a', /topic filter in quotes/],
    ["SELECT * FROM 'a/#/b'", 1, 15, "'a/#/b'", /'#' must be the last level/],
    ["SELECT nope(1) FROM 'a'", 1, 8, 'nope', /unknown function nope\(\)/],
    ["SELECT a +\n FROM 'a'", 2, 2, 'FROM', /unexpected keyword FROM/],
    ["SELECT CASE a WHEN 1 THEN 2 FROM 'a'", 1, 29, 'FROM', /expected WHEN, ELSE or END/],
    ["SELECT 'abc FROM x", 1, 8, "'abc FROM x", /unterminated/],
    ["SELECT a FROM 'a' WHERE", 1, 24, '', /expected an expression/],
    ["SELECT a FROM 'a' extra", 1, 19, 'extra', /after the end/],
    ["SELECT cast(a AS Blob) FROM 'a'", 1, 18, 'Blob', /cast to Int/],
    ["SELECT a AS FROM 'a'", 1, 13, 'FROM', /name after AS/],
    ['UPDATE x', 1, 1, 'UPDATE', /starts with SELECT/],
  ];
  for (const [sql, line, column, token, why] of cases)
    test(sql.replace('\n', '\\n'), () => {
      assert.throws(
        () => compileStatement(sql),
        (e: unknown) => {
          assert.ok(e instanceof RuleSqlError, String(e));
          assert.equal(e.line, line, e.message);
          assert.equal(e.column, column, e.message);
          assert.equal(e.token.startsWith(token.slice(0, 8)), true, `${e.token} vs ${token}: ${e.message}`);
          assert.match(e.message, why);
          return true;
        },
      );
    });

  test('random input never crashes the parser: it parses or throws RuleSqlError', () => {
    const pieces = fc.constantFrom(
      'SELECT',
      'FROM',
      'WHERE',
      'AS',
      'CASE',
      'WHEN',
      'THEN',
      'END',
      'IN',
      'IS',
      'NOT',
      'NULL',
      '*',
      ',',
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      "'a/+'",
      '"s"',
      '1',
      '2.5',
      'a',
      'b.c',
      '=',
      '<>',
      '+',
      '-',
      '/',
      'topic(',
      'cast(',
      'AND',
      ':',
      '.',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(pieces, { maxLength: 30 }).map((a) => a.join(' ')),
        ),
        (src) => {
          try {
            compileStatement(src);
          } catch (e) {
            if (!(e instanceof RuleSqlError)) throw e;
          }
        },
      ),
      { numRuns: 20_000 },
    );
  });

  test('every statement that parses evaluates without throwing', () => {
    const exprs = fc.constantFrom(
      'a',
      'a.b',
      'a[0]',
      '1',
      '"x"',
      'null',
      'true',
      '*',
      'topic(1)',
      'abs(a)',
      '[1,a]',
      '{"k": a}',
    );
    const ops = fc.constantFrom('+', '-', '*', '/', '%', '=', '<>', '<', 'AND', 'OR', '||', 'CONTAINS');
    const expr = fc.tuple(exprs, ops, exprs).map(([l, o, r]) => `${l} ${o} ${r}`);
    const payload = fc.jsonValue();
    fc.assert(
      fc.property(expr, payload, (e, p) => {
        let c;
        try {
          c = compileStatement(`SELECT ${e} AS r FROM 'x' WHERE ${e} IS NOT NULL`);
        } catch (err) {
          if (err instanceof RuleSqlError) return;
          throw err;
        }
        const raw = Buffer.from(JSON.stringify(p) ?? 'null');
        evaluate(
          c,
          { topic: 'x', clientId: undefined, principal: undefined, raw, now: 0 },
          payloadValue(raw),
          undefined,
          true,
        );
      }),
      { numRuns: 5_000 },
    );
  });
});
