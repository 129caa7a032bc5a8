/**
 * Whole platforms as nodes of one cluster in this process: one fresh PostgreSQL schema, one NATS
 * subject of their own, short leases. The nodes start one after the other (first-time migrations on
 * a fresh schema must not race, store/migrations.ts); after the test they close in reverse order and
 * the schema is dropped. The caller checks `requirePostgres` / `requireNats` first.
 */
import type { TestContext } from 'node:test';
import type { TsunaguConfig } from '../core/index.js';
import { testClusterSubject } from './cluster-node.js';
import { startTestPlatform, type TestPlatform } from './platform.js';
import { freshPgSchema, NATS_URL, PG_URL } from './services.js';

export interface PlatformClusterOptions {
  /** Lease timing; the default's wide margin keeps a loaded machine from dropping leases. */
  timing?: { ttlMs: number; renewMs: number; marginMs: number };
  /** Configuration every node shares (e.g. the same `secretKeyFile`). */
  config?: Partial<TsunaguConfig>;
}

export async function startPlatformCluster(
  t: TestContext,
  schemaName: string,
  nodeIds: readonly string[],
  opts: PlatformClusterOptions = {},
): Promise<TestPlatform[]> {
  const schema = await freshPgSchema(schemaName);
  const cluster = {
    natsUrl: NATS_URL,
    subject: testClusterSubject(),
    ...(opts.timing ?? { ttlMs: 3000, renewMs: 300, marginMs: 1000 }),
  };
  const database = `${PG_URL}?schema=${schema.schema}`;
  const nodes: TestPlatform[] = [];
  t.after(async () => {
    for (const n of [...nodes].reverse()) await n.close();
    await schema.drop();
  });
  for (const nodeId of nodeIds)
    nodes.push(await startTestPlatform({ ...opts.config, database, nodeId }, { cluster }));
  return nodes;
}
