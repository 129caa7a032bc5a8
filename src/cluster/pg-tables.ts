/**
 * The cluster's own tables (PostgreSQL only): live members and shard leases. `expires_at` is in
 * milliseconds on the database's clock. `cluster_meta` pins the shard count: nodes that disagree
 * on it would hash keys onto different shards, so a node with another count refuses to start.
 */
import { migrate, type Migration, type PostgresDatabase } from '../store/index.js';

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'members and leases',
    sqlite: 'SELECT 1', // cluster mode needs PostgreSQL; never applied to SQLite
    postgres: `
      CREATE TABLE cluster_members (owner TEXT PRIMARY KEY, node_id TEXT NOT NULL,
        started_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
      CREATE TABLE cluster_leases (shard INTEGER PRIMARY KEY, owner TEXT NOT NULL, expires_at BIGINT NOT NULL);
      CREATE INDEX cluster_leases_owner ON cluster_leases (owner);
      CREATE TABLE cluster_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  },
  {
    id: 2,
    name: 'presence',
    sqlite: 'SELECT 1',
    // One row per (device, member holding a connection); a row counts only while its member is live.
    postgres: `
      CREATE TABLE cluster_presence (device_id TEXT NOT NULL, owner TEXT NOT NULL, node_id TEXT NOT NULL,
        since BIGINT NOT NULL, PRIMARY KEY (device_id, owner));
      CREATE INDEX cluster_presence_owner ON cluster_presence (owner);`,
  },
];

export class ShardCountMismatchError extends Error {
  constructor(
    readonly configured: number,
    readonly stored: number,
  ) {
    super(
      `cluster: this node is configured with ${configured} shards but the cluster uses ${stored}; every node must use the same shard count`,
    );
    this.name = 'ShardCountMismatchError';
  }
}

export async function ensureClusterTables(db: PostgresDatabase, shardCount: number): Promise<void> {
  await migrate(db, 'cluster', MIGRATIONS);
  await db.pool.query(
    `INSERT INTO cluster_meta (key, value) VALUES ('shards', $1) ON CONFLICT (key) DO NOTHING`,
    [String(shardCount)],
  );
  const r = await db.pool.query<{ value: string }>(`SELECT value FROM cluster_meta WHERE key = 'shards'`);
  const stored = Number(r.rows[0]?.value);
  if (stored !== shardCount) throw new ShardCountMismatchError(shardCount, stored);
}

/** Now in milliseconds on the database's clock (every expiry comparison is made in SQL). */
export const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
