/**
 * An audit entry is never dropped: with a store that fails on demand, `record()` fails (so the
 * request that made the change fails), queued entries stay queued across failed retries, and once
 * the store is back they are written in order. Then the same over HTTP through the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, silentLogger } from '../core/index.js';
import { openSqlite } from '../store/index.js';
import { startRegistryHarness } from '../registry/testing.js';
import type { AuditStore } from './audit-store.js';
import { openAuditStore } from './open-audit-store.js';
import { AuditLog } from './service.js';
import { sampleEntry } from './journal-crash.fixture.js';

/** A real store whose writes fail while `failing` is set. */
function flaky(store: AuditStore): AuditStore & { failing: boolean; attempts: number } {
  return {
    failing: false,
    attempts: 0,
    async append(entries) {
      this.attempts++;
      if (this.failing) throw new Error('disk full');
      await store.append(entries);
    },
    list: (q) => store.list(q),
  };
}

const entry = sampleEntry;

test('a failed write fails record(), keeps every entry and writes them in order once the store is back', async () => {
  const db = openSqlite(':memory:');
  const clock = new ManualClock();
  const store = flaky(await openAuditStore(db));
  const log = new AuditLog(store, clock, silentLogger, { flushMs: 50, retryMs: 100, maxRetryMs: 400 });
  try {
    store.failing = true;
    await assert.rejects(
      log.record(entry('a')),
      (err: { code?: string }) => err.code === 'AUDIT_UNAVAILABLE',
    );
    log.enqueue(entry('b'));
    log.enqueue(entry('c'));
    assert.equal(log.pending(), 3);
    // Retries while the store is still down keep everything.
    const before = store.attempts;
    for (let i = 0; i < 5; i++) {
      clock.advance(400);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(store.attempts > before, 'retried on the clock');
    assert.equal(log.pending(), 3);
    await assert.rejects(log.flush());

    store.failing = false;
    clock.advance(400);
    await new Promise((r) => setImmediate(r));
    await log.flush();
    assert.equal(log.pending(), 0);
    const page = await log.list({ limit: 10, offset: 0 });
    assert.deepEqual(
      page.items.map((e) => e.action),
      ['c', 'b', 'a'],
    );
  } finally {
    await log.stop();
    await db.close();
  }
});

test('over HTTP: a change whose audit entry cannot be written fails with 503, and the entry is not lost', async () => {
  const db = openSqlite(':memory:');
  const store = flaky(await openAuditStore(db));
  const h = await startRegistryHarness({ db, audit: { store, retryMs: 10, maxRetryMs: 20 } });
  try {
    store.failing = true;
    const r = await h.http.inject({
      method: 'POST',
      url: '/api/v1/devices',
      headers: h.auth,
      payload: { id: 'd1' },
    });
    assert.equal(r.statusCode, 503, r.body);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'AUDIT_UNAVAILABLE');

    store.failing = false;
    const list = await h.http.inject({
      method: 'GET',
      url: '/api/v1/audit?resource=devices/d1',
      headers: h.auth,
    });
    assert.equal(list.statusCode, 200, list.body);
    const items = (JSON.parse(list.body) as { items: { action: string; actor: { name: string } }[] }).items;
    assert.deepEqual(
      items.map((e) => e.action),
      ['device.create'],
    );
  } finally {
    await h.close();
    await db.close();
  }
});
