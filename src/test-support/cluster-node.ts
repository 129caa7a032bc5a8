/**
 * One node of a test cluster on the real PostgreSQL and NATS: its own pool (so a test can cut one
 * node off the database alone) and the cluster seams with short leases. A wide margin keeps a
 * loaded machine from dropping leases between renewals.
 */
import { randomBytes } from 'node:crypto';
import { createCluster, type Cluster } from '../cluster/index.js';
import { silentLogger } from '../core/index.js';
import { openPostgres, type PostgresDatabase } from '../store/index.js';
import { NATS_URL, PG_URL } from './services.js';

/** A NATS subject of its own per test, so parallel tests do not hear each other. */
export const testClusterSubject = (): string => `tsunagu.test.${randomBytes(4).toString('hex')}`;

export async function openTestClusterNode(
  schema: string,
  subject: string,
  nodeId: string,
): Promise<{ db: PostgresDatabase; cluster: Cluster }> {
  const db = await openPostgres(PG_URL, schema, 3);
  const cluster = await createCluster(
    { natsUrl: NATS_URL, subject, shardCount: 16, ttlMs: 3000, renewMs: 300, marginMs: 1000 },
    { db, nodeId, log: silentLogger },
  );
  return { db, cluster };
}
