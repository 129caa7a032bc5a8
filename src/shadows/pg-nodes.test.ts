/**
 * Two nodes (two ShadowService instances, each with its own per-shadow queue) on one PostgreSQL
 * schema: concurrent updates to one shadow are serialized by the version-checked write — every
 * version is produced exactly once and no field is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { DEFAULT_MAX_DOCUMENT_BYTES } from './document.js';
import { createShadowStore, ShadowService } from './index.js';

test('postgres: two nodes updating one shadow produce versions 1..N exactly once', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('shadownodes');
  t.after(() => db.drop());
  const clock = new ManualClock();
  // Created one after the other: store/migrations.ts creates schema_migrations before taking its
  // advisory lock, so two first-time migrations racing on a fresh schema can collide.
  const nodes: { broker: FakeBroker; service: ShadowService }[] = [];
  for (const _ of [0, 1])
    nodes.push(
      await (async () => {
        const broker = new FakeBroker();
        const service = new ShadowService({
          store: await createShadowStore({ db }),
          broker,
          bus: new EventBus(silentLogger),
          clock,
          log: silentLogger,
          options: () =>
            Promise.resolve({ maxDocumentBytes: DEFAULT_MAX_DOCUMENT_BYTES, clearDesiredOnReport: false }),
        });
        return { broker, service };
      })(),
    );
  const N = 24;
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      nodes[i % 2]!.service.update(
        'd1',
        '',
        { state: { reported: { [`k${i}`]: i } } },
        { kind: 'system', id: `n${i % 2}` },
      ),
    ),
  );
  const versions = nodes
    .flatMap((n) => n.broker.sent('$aws/things/d1/shadow/update/accepted'))
    .map((m) => (JSON.parse(m.payload.toString()) as { version: number }).version)
    .sort((a, b) => a - b);
  assert.deepEqual(
    versions,
    Array.from({ length: N }, (_, i) => i + 1),
  );
  const doc = await nodes[0]!.service.get('d1', '');
  assert.equal(doc.version, N);
  assert.equal(Object.keys((doc.state as { reported: object }).reported).length, N);
  const h = await nodes[1]!.service.history('d1', '', { limit: 100, offset: 0 });
  assert.equal(h.total, N);
});
