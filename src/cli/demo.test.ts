import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../test-support/platform.js';
import { startDemo } from './demo.js';

/** Poll an async condition (bounded; no wall-clock assertions). */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('the demo provisions a fleet that comes online, sends telemetry and answers commands', async (t) => {
  const p = await startTestPlatform({ telegramPort: 0 });
  t.after(() => p.close());
  const demo = await startDemo({
    addresses: p.addresses,
    token: p.adminToken,
    log: p.app.log,
    scooters: 6,
    boilers: 2,
    speed: 30,
    commandEveryMs: 300,
  });
  t.after(() => demo.stop());
  const get = async (path: string): Promise<unknown> => {
    const r = await p.app.http.inject({ method: 'GET', url: `/api/v1${path}`, headers: p.auth });
    assert.equal(r.statusCode, 200, `${path}: ${r.body}`);
    return r.json();
  };

  const conn = await eventually('8 devices online', async () => {
    const c = (await get('/fleet/connectivity')) as { online: number; total: number };
    return c.online >= 8 ? c : undefined;
  });
  assert.equal(conn.total, 8);
  // Every device got its own credential: nobody connected anonymously.
  assert.equal(p.app.config.allowAnonymous, false);

  await eventually('battery telemetry stored', async () => {
    const l = (await get('/telemetry/latest?metric=battery')) as { items: unknown[] };
    return l.items.length > 0 ? l : undefined;
  });
  const stats = await eventually('an unlock or lock finished', async () => {
    const s = (await get('/commands/stats')) as { total: number; byStatus: Record<string, number> };
    return s.total > 0 && s.byStatus.succeeded! + s.byStatus.failed! > 0 ? s : undefined;
  });
  assert.ok(stats.byStatus.succeeded! > 0);
  const slos = (await get('/slos')) as { items?: { name: string }[] } | { name: string }[];
  const names = (Array.isArray(slos) ? slos : (slos.items ?? [])).map((s) => s.name);
  assert.ok(names.includes('unlock-success'), `SLOs: ${names.join(', ')}`);
});
