/**
 * /readyz and cluster membership: one node alone answers `{ status: 'ready' }` as before; a cluster
 * node carries its cluster status and turns 503 (`joined: false`) once its lease rounds stop
 * reaching PostgreSQL within ttl − margin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PgOwnership } from './index.js';
import { freshPgSchema, NATS_URL, PG_URL, requireNats, requirePostgres } from '../test-support/services.js';
import { startTestPlatform } from '../test-support/platform.js';
import { until } from '../test-support/until.js';

test('one node: /readyz is { status: ready } with no cluster part', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const r = await p.app.http.inject({ method: 'GET', url: '/readyz' });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json(), { status: 'ready' });
});

test('postgres+nats: /readyz carries the cluster status and is 503 when the node is no longer joined', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const schema = await freshPgSchema('readyz');
  const p = await startTestPlatform(
    { database: `${PG_URL}?schema=${schema.schema}`, nodeId: 'rz' },
    {
      cluster: {
        natsUrl: NATS_URL,
        subject: `tsunagu.test.${randomBytes(4).toString('hex')}`,
        ttlMs: 2000,
        renewMs: 300,
        marginMs: 700,
      },
    },
  );
  t.after(async () => {
    await p.close();
    await schema.drop();
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
  const readyz = async (): Promise<{ status: number; body: Record<string, any> }> => {
    const r = await p.app.http.inject({ method: 'GET', url: '/readyz' });
    return { status: r.statusCode, body: r.json() };
  };
  // Right after start a loaded machine may not have completed a lease round in time yet.
  await until('/readyz 200', async () => (await readyz()).status === 200);
  const ok = await readyz();
  assert.equal(ok.body.status, 'ready');
  const c = ok.body.cluster;
  assert.equal(c.joined, true);
  assert.match(c.nodeId, /^rz#/);
  assert.deepEqual(
    c.members.map((m: { nodeId: string }) => m.nodeId),
    [c.nodeId],
  );
  assert.equal(c.ownedShards.length, c.shardsHeld);
  assert.equal(c.database.ok, true);
  assert.equal(c.nats.connected, true);
  assert.deepEqual(c.presence, { local: 0, fleet: 0, byMember: { [c.nodeId]: 0 } });

  // The lease rounds stop (as when PostgreSQL cannot be reached): not ready within ttl − margin.
  const ownership = p.app.cluster!.ownership;
  assert.ok(ownership instanceof PgOwnership);
  await ownership.close();
  await until('/readyz 503, not joined', async () => {
    const r = await readyz();
    return r.status === 503 && r.body.cluster.joined === false && r.body.cluster.database.ok === false;
  });
});
