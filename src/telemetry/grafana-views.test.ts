/**
 * The SQL views for Grafana's PostgreSQL data source (docs/observability.md), on the real
 * PostgreSQL: points written through the telemetry store read back through the views with a
 * timestamptz `time`, rollup averages, the latest state per device, events; and the example panel
 * query shipped in deploy/grafana/telemetry-postgres.sql runs once Grafana's macros are filled in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { openRegistryStore } from '../registry/registry-store.js';
import { openTelemetryStore } from './open-telemetry-store.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0); // a whole minute

test('postgres: Grafana views read what the telemetry store wrote', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('grafana');
  t.after(() => db.drop());
  // Last seen is presence's (the registry's table, migrated first as in app.ts); the view joins it.
  const registry = await openRegistryStore(db);
  await registry.putDevices([
    {
      id: 'm-1',
      model: null,
      name: 'm-1',
      tags: [],
      attributes: {},
      enabled: true,
      createdAt: T0,
      updatedAt: T0,
    },
  ]);
  await registry.writeBatch(
    [],
    [
      {
        deviceId: 'm-1',
        online: true,
        lastSeen: { at: T0 + 2500, messageAt: T0 + 2500, messageKind: 'telemetry', heartbeatAt: 0 },
      },
    ],
  );
  const store = await openTelemetryStore(db);
  await store.write({
    points: [
      { deviceId: 'm-1', metric: 'temp', ts: T0 + 1000, value: 20 },
      { deviceId: 'm-1', metric: 'temp', ts: T0 + 2000, value: 22 },
      { deviceId: 'm-2', metric: 'temp', ts: T0 + 3000, value: 30 },
    ],
    events: [
      { deviceId: 'm-1', ts: T0 + 2500, code: 'door_open', severity: 'warning', message: 'door open' },
    ],
    attributes: [{ deviceId: 'm-1', name: 'fw', ts: T0 + 2000, text: '1.2.3' }],
  });
  const q = async (sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> =>
    (await db.pool.query(sql, params)).rows as Record<string, unknown>[];

  const points = await q(
    'SELECT "time", ts_ms, device_id, metric, value FROM tsunagu_telemetry_points ORDER BY ts_ms',
  );
  assert.equal(points.length, 3);
  assert.ok(points[0]!.time instanceof Date);
  assert.equal(points[0]!.time.getTime(), T0 + 1000);
  assert.equal(Number(points[0]!.ts_ms), T0 + 1000);
  assert.deepEqual(
    points.map((p) => [p.device_id, p.value]),
    [
      ['m-1', 20],
      ['m-1', 22],
      ['m-2', 30],
    ],
  );

  const minute = await q(
    "SELECT \"time\", avg, min, max, count, last FROM tsunagu_telemetry_1m WHERE device_id = 'm-1' AND metric = 'temp'",
  );
  assert.equal(minute.length, 1);
  assert.equal((minute[0]!.time as Date).getTime(), T0);
  assert.deepEqual(
    [minute[0]!.avg, minute[0]!.min, minute[0]!.max, Number(minute[0]!.count), minute[0]!.last],
    [21, 20, 22, 2, 22],
  );
  const hour = await q("SELECT avg FROM tsunagu_telemetry_1h WHERE device_id = 'm-2'");
  assert.deepEqual(hour, [{ avg: 30 }]);

  const state = await q(
    "SELECT metric, value, text, last_seen, last_seen_kind FROM tsunagu_device_state WHERE device_id = 'm-1' ORDER BY metric",
  );
  const byMetric = Object.fromEntries(state.map((r) => [r.metric, r]));
  assert.equal(byMetric.temp?.value, 22);
  assert.equal(byMetric.fw?.text, '1.2.3');
  assert.equal((byMetric.temp?.last_seen as Date).getTime(), T0 + 2500);
  assert.equal(byMetric.temp?.last_seen_kind, 'telemetry');

  const events = await q('SELECT "time", device_id, code, severity FROM tsunagu_device_events');
  assert.deepEqual(
    events.map((e) => [(e.time as Date).getTime(), e.device_id, e.code, e.severity]),
    [[T0 + 2500, 'm-1', 'door_open', 'warning']],
  );

  // The example panel query, with Grafana's macros expanded as its PostgreSQL data source does.
  const panel = readFileSync(new URL('../../deploy/grafana/telemetry-postgres.sql', import.meta.url), 'utf8')
    .split(/^-- panel: /m)
    .slice(1)
    .map((block) => block.slice(block.indexOf('\n') + 1));
  assert.ok(panel.length >= 2, 'deploy/grafana/telemetry-postgres.sql holds the panel queries');
  for (const sql of panel) {
    const expanded = sql
      .replaceAll('$__unixEpochFrom()', String((T0 - 3_600_000) / 1000))
      .replaceAll('$__unixEpochTo()', String((T0 + 3_600_000) / 1000))
      .replaceAll("'$device'", "'m-1'")
      .replaceAll("'$metric'", "'temp'");
    const rows = await q(expanded);
    assert.ok(rows.length > 0, `panel query returned rows:\n${expanded}`);
    assert.ok(rows[0]!.time instanceof Date, 'a time column for Grafana');
  }
});
