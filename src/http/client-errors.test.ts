/** Requests Node's HTTP parser refuses (before Fastify sees them) get the platform's error body too. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestPlatform } from '../test-support/platform.js';

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

test('unparsable HTTP and oversized headers answer with the platform error body', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const cases: [string, string, number, string][] = [
    ['garbage request line', 'NOT HTTP AT ALL\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'header too large',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
  ];
  for (const [what, text, status, code] of cases) {
    const res = await rawRequest(p.addresses.http, text);
    assert.match(res, new RegExp(`^HTTP/1.1 ${status} `), `${what}: ${res}`);
    const body = JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
    assert.equal(body.error.code, code, what);
  }
});
