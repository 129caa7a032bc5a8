/**
 * One owner, one store (issue 23, "one owner per fact"): a database made before presence owned
 * last-seen — telemetry's `telemetry_last_seen`, health's `health_devices.last_seen` — is migrated
 * in the platform's order (registry, then telemetry, then health) on SQLite and on the real
 * PostgreSQL; the times move into `registry_devices`, nothing is lost, and the old copies are gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEALTH_MIGRATIONS } from '../health/health-store.js';
import { openHealthStore } from '../health/index.js';
import type { ModuleContext } from '../platform/index.js';
import { migrate, openSqlite, type Database } from '../store/index.js';
import { TELEMETRY_MIGRATIONS } from '../telemetry/migrations.js';
import { openTelemetryStore } from '../telemetry/open-telemetry-store.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { registryMigrations } from './migrations.js';
import { openRegistryStore } from './registry-store.js';

/** `openHealthStore` reads only `ctx.db`. */
const onlyDb = (db: Database): ModuleContext => ({ db }) as unknown as ModuleContext;

/** The schema as the last release left it: each module's migrations up to the ones this change added. */
async function oldSchema(db: Database): Promise<void> {
  await migrate(db, 'registry', registryMigrations.slice(0, 1));
  await migrate(db, 'telemetry', TELEMETRY_MIGRATIONS.slice(0, 3));
  await migrate(db, 'health', HEALTH_MIGRATIONS.slice(0, 2));
}

/** Runs `sql` with `?` placeholders on either database. */
async function exec(db: Database, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (db.kind === 'sqlite') {
    const st = db.db.prepare(sql);
    return st.reader ? (st.all(...params) as Record<string, unknown>[]) : (st.run(...params), []);
  }
  let n = 0;
  return (
    await db.pool.query(
      sql.replace(/\?/g, () => `$${++n}`),
      params,
    )
  ).rows as Record<string, unknown>[];
}

async function seedOldData(db: Database): Promise<void> {
  const device = `INSERT INTO registry_devices (id, model, name, tags, attributes, enabled, created_at, updated_at, online, last_seen_at, search)
                  VALUES (?, NULL, ?, '[]', '{}', 1, 1, 1, 0, ?, ?)`;
  await exec(db, device, ['d1', 'd1', 1000, 'd1']);
  await exec(db, device, ['d2', 'd2', 9000, 'd2']);
  await exec(db, device, ['d3', 'd3', 0, 'd3']);
  // d1: a telemetry message last, its last heartbeat (health's sign of life) before it.
  await exec(db, 'INSERT INTO telemetry_last_seen (device_id, ts, kind) VALUES (?, ?, ?)', [
    'd1',
    5000,
    'telemetry',
  ]);
  await exec(db, 'INSERT INTO health_devices (device_id, last_seen) VALUES (?, ?)', ['d1', 4000]);
  // d2: a heartbeat last; the registry saw a later disconnect.
  await exec(db, 'INSERT INTO telemetry_last_seen (device_id, ts, kind) VALUES (?, ?, ?)', [
    'd2',
    7000,
    'heartbeat',
  ]);
  await exec(db, 'INSERT INTO health_devices (device_id, last_seen) VALUES (?, ?)', ['d2', 7000]);
  // d3: health's state row without a sign of life (never seen).
  await exec(db, 'INSERT INTO health_devices (device_id, state, reasons, since) VALUES (?, ?, ?, ?)', [
    'd3',
    'maintenance',
    '[]',
    3000,
  ]);
}

async function upgradeAndCheck(db: Database): Promise<void> {
  await oldSchema(db);
  await seedOldData(db);
  // The platform's order (app.ts): registry first, then telemetry and health.
  const registry = await openRegistryStore(db);
  await openTelemetryStore(db);
  const health = await openHealthStore(onlyDb(db));

  const seen = await registry.readLastSeen();
  assert.deepEqual(seen.get('d1'), {
    at: 5000,
    messageAt: 5000,
    messageKind: 'telemetry',
    heartbeatAt: 4000,
  });
  assert.deepEqual(seen.get('d2'), {
    at: 9000,
    messageAt: 7000,
    messageKind: 'heartbeat',
    heartbeatAt: 7000,
  });
  assert.equal(seen.has('d3'), false, 'never seen stays never seen');
  assert.deepEqual(
    (await health.loadDevices()).find((r) => r.deviceId === 'd3'),
    { deviceId: 'd3', state: 'maintenance', reasons: [], since: 3000 },
    'health keeps its service state',
  );
  await assertOldCopiesGone(db);
}

async function assertOldCopiesGone(db: Database): Promise<void> {
  if (db.kind === 'sqlite') {
    const tables = (await exec(db, "SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name);
    assert.ok(!tables.includes('telemetry_last_seen'), 'telemetry_last_seen is gone');
    const cols = (await exec(db, "SELECT name FROM pragma_table_info('health_devices')")).map((r) => r.name);
    assert.ok(!cols.includes('last_seen'), 'health_devices.last_seen is gone');
    return;
  }
  const cols = await exec(
    db,
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND (table_name = 'telemetry_last_seen' OR column_name = 'last_seen')`,
  );
  // Only the Grafana views still name a `last_seen` column (read from presence).
  assert.deepEqual(cols.map((c) => `${String(c.table_name)}.${String(c.column_name)}`).sort(), [
    'tsunagu_device_last_seen.last_seen',
    'tsunagu_device_state.last_seen',
  ]);
}

test('sqlite: an old database moves telemetry’s and health’s last-seen into presence’s store', async () => {
  const db = openSqlite(':memory:');
  try {
    await upgradeAndCheck(db);
  } finally {
    await db.close();
  }
});

test('postgres: an old database moves telemetry’s and health’s last-seen into presence’s store', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('lastseenmig');
  t.after(() => db.drop());
  await upgradeAndCheck(db);
  // Grafana's device state view keeps its columns, now from presence (the latest message and kind).
  await exec(db, 'INSERT INTO telemetry_latest (device_id, metric, ts, value) VALUES (?, ?, ?, ?)', [
    'd1',
    'temp',
    5000,
    20,
  ]);
  const [row] = await exec(
    db,
    "SELECT last_seen, last_seen_kind FROM tsunagu_device_state WHERE device_id = 'd1'",
  );
  assert.equal((row?.last_seen as Date).getTime(), 5000);
  assert.equal(row?.last_seen_kind, 'telemetry');
});

test('sqlite: a fresh database has last-seen in one place only', async () => {
  const db = openSqlite(':memory:');
  try {
    await openRegistryStore(db);
    await openTelemetryStore(db);
    await openHealthStore(onlyDb(db));
    await assertOldCopiesGone(db);
  } finally {
    await db.close();
  }
});

test('postgres: a fresh database has last-seen in one place only', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('lastseenfresh');
  t.after(() => db.drop());
  await openRegistryStore(db);
  await openTelemetryStore(db);
  await openHealthStore(onlyDb(db));
  await assertOldCopiesGone(db);
});
