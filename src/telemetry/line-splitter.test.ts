/** Framing: any chunking of a byte stream yields the same lines; oversized lines are dropped alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter } from './line-splitter.js';

function run(chunks: Buffer[], max: number): { lines: string[]; oversized: [number, number][] } {
  const lines: string[] = [];
  const oversized: [number, number][] = [];
  const s = new LineSplitter(max, {
    line: (l) => lines.push(l.toString('latin1')),
    oversized: (h, n) => oversized.push([h.length, n]),
  });
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, oversized };
}

function cut(buf: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, buf.length]) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  return out;
}

test('fixture: CRLF, empty lines, a last line without newline, an oversized line between good ones', () => {
  const r = run([Buffer.from('a,1\r\n\nb,2\n' + 'x'.repeat(20) + '\nc,3')], 10);
  assert.deepEqual(r.lines, ['a,1', 'b,2', 'c,3']);
  assert.deepEqual(r.oversized, [[10, 20]]);
});

test('random streams cut at random places give the same lines as the whole stream', () => {
  const line = fc.stringMatching(/^[ -~]{0,30}$/);
  fc.assert(
    fc.property(fc.array(line, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (lines, points) => {
      const buf = Buffer.from(lines.map((l) => l + '\n').join(''), 'latin1');
      const whole = run([buf], 20);
      const pieces = run(cut(buf, points), 20);
      assert.deepEqual(pieces, whole);
      assert.deepEqual(
        whole.lines,
        lines.filter((l) => l.length > 0 && l.length <= 20),
      );
      assert.deepEqual(
        whole.oversized.map(([, n]) => n),
        lines.filter((l) => l.length > 20).map((l) => l.length),
      );
    }),
    { numRuns: 500 },
  );
});
