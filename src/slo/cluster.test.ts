/**
 * Two SLO engines on one PostgreSQL schema with PostgreSQL leases (docs/slo.md, "In a cluster"):
 * the owner of `slo:<id>` evaluates the windows summed over both nodes' counters, an alert fires
 * exactly once fleet-wide, and when the owner loses its lease the other node carries on — without
 * firing the alert again — and resolves it once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monotonicClock, PgOwnership } from '../cluster/index.js';
import { ManualClock } from '../core/clock.js';
import { EventBus, type TsunaguEvents } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { openPostgres, type PostgresDatabase } from '../store/index.js';
import { freshPgSchema, PG_URL, requirePostgres } from '../test-support/services.js';
import { MINUTE } from './budget.js';
import { sloShardKey } from './cluster.js';
import { SloEngine } from './service.js';
import { openSloStore } from './open-slo-store.js';
import { def, device, staticDirectory } from './testing.js';
import { until } from '../test-support/until.js';

interface Node {
  name: string;
  db: PostgresDatabase;
  ownership: PgOwnership;
  bus: EventBus;
  engine: SloEngine;
  alerts: TsunaguEvents['slo.alert'][];
}

const START = Date.UTC(2026, 0, 10);
const SLO = 'unlock-ok';

test('postgres: SLO evaluated by its owner over both nodes’ counts, alert fires once, survives a lost lease', async (t) => {
  if (!(await requirePostgres(t))) return;
  const schema = await freshPgSchema('slocluster');
  t.after(() => schema.drop());
  const clock = new ManualClock(START);
  const nodes: Node[] = [];
  const fleet: string[] = []; // every slo.alert of both nodes, in the order emitted
  t.after(async () => {
    for (const n of nodes) {
      await n.engine.stop().catch(() => undefined);
      await n.ownership.close().catch(() => undefined);
      await n.db.close().catch(() => undefined);
    }
  });
  const tier = { name: 'fast', severity: 'page', longWindow: '10m', shortWindow: '2m', burnRate: 10 };
  const slo = def({
    name: SLO,
    sli: { type: 'command-success', command: 'unlock' },
    target: 0.99,
    alerting: { minEvents: 0, tiers: [tier], budgetExhausted: false },
  });
  await (await openSloStore(schema)).putSlo(slo, START);
  for (const name of ['A', 'B']) {
    const db = await openPostgres(PG_URL, schema.schema, 3);
    const ownership = new PgOwnership({
      db,
      nodeId: name,
      shardCount: 16,
      ttlMs: 3000,
      renewMs: 300,
      marginMs: 1000,
      clock: monotonicClock,
      log: silentLogger,
    });
    await ownership.start();
    const bus = new EventBus(silentLogger);
    const engine = new SloEngine({
      store: await openSloStore(db),
      bus,
      clock,
      directory: staticDirectory([device('s1', 'scooter')]),
      log: silentLogger,
      // Flushed explicitly below too; in a cluster a minute is evaluated 2 s + this after it closes.
      flushIntervalMs: 5000,
      ownership,
    });
    const alerts: TsunaguEvents['slo.alert'][] = [];
    bus.on('slo.alert', (a) => {
      alerts.push(a);
      fleet.push(`${name}:${a.state}`);
    });
    await engine.start();
    nodes.push({ name, db, ownership, bus, engine, alerts });
  }
  await until('two nodes share the shards', () =>
    nodes.every((n) => n.ownership.members().length === 2 && n.ownership.ownedShards().length === 8),
  );
  const owner = nodes.find((n) => n.ownership.owns(sloShardKey(SLO)))!;
  const other = nodes.find((n) => n !== owner)!;
  assert.equal(other.ownership.owns(sloShardKey(SLO)), false);
  const fleetAlerts = (): string[] => [...fleet];
  const finished = (n: Node, status: 'succeeded' | 'failed', at: number): void => {
    n.bus.emit('command.finished', {
      commandId: `${n.name}-${at}-${Math.random()}`,
      deviceId: 's1',
      name: 'unlock',
      status,
      requestedAt: at - 1000,
      finishedAt: at,
    });
  };
  const minuteOf = (n: Node): number | undefined =>
    n.engine.lastStatuses().find((s) => s.def.name === SLO)?.status?.minute;

  // 1. The owner sees only successes, the other node only failures: the sum burns 50× the budget.
  const m0 = Math.floor(clock.now() / MINUTE);
  for (let i = 0; i < 100; i++) finished(owner, 'succeeded', START + 10_000);
  for (let i = 0; i < 100; i++) finished(other, 'failed', START + 10_000);
  await other.engine.flush();
  clock.advance(MINUTE + 8000); // minute m0 closed and past the evaluation delay (2 s + 5 s flush)
  await until('the owner evaluates minute m0', () => minuteOf(owner) === m0 * MINUTE);
  await owner.engine.idle();
  const st = owner.engine.status(SLO, (m0 + 1) * MINUTE);
  assert.deepEqual([st.good, st.total], [100, 200], 'the owner’s window holds both nodes’ counts');
  await until('the alert fires', () => fleetAlerts().length > 0);
  assert.equal(minuteOf(other), undefined, 'the other node exports no gauges for an SLO it does not own');

  // More bad minutes: the tier stays firing, nothing fires again.
  for (let k = 1; k <= 2; k++) {
    for (let i = 0; i < 50; i++) finished(other, 'failed', clock.now());
    await other.engine.flush();
    clock.advance(MINUTE);
    await until(`the owner evaluates minute m0+${k}`, () => minuteOf(owner) === (m0 + k) * MINUTE);
  }
  await owner.engine.idle();
  await other.engine.idle();
  assert.deepEqual(fleetAlerts(), [`${owner.name}:firing`]);
  assert.equal((await owner.engine.history(SLO, clock.now(), clock.now(), 1))[0]!.total, 300);

  // 2. The owner loses its lease (its database connection is cut); the other node takes over.
  await owner.db.close();
  await until('the other node owns the SLO', () => other.ownership.owns(sloShardKey(SLO)), 30_000);
  await until('the old owner has let go', () => !owner.ownership.owns(sloShardKey(SLO)));
  // Good traffic only from now on: the short window clears and the tier resolves, once, on the new owner.
  for (let k = 3; k <= 8; k++) {
    for (let i = 0; i < 100; i++) finished(other, 'succeeded', clock.now());
    clock.advance(MINUTE);
    await until(`the new owner evaluates minute m0+${k}`, () => minuteOf(other) === (m0 + k) * MINUTE);
  }
  await other.engine.idle();
  assert.deepEqual(fleetAlerts(), [`${owner.name}:firing`, `${other.name}:resolved`]);
  const stored = await openSloStore(schema);
  const episodes = await stored.listAlerts({ sloId: SLO, limit: 10 });
  assert.equal(episodes.length, 1, 'one episode fleet-wide');
  assert.notEqual(episodes[0]!.resolvedAt, null);
});
