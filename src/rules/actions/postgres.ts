/**
 * postgres: insert one row into a user's table on a user's database. Values are bound
 * parameters, never interpolated; the table and column names were checked to be plain
 * identifiers at definition time and are quoted here. One small pool per URL.
 */
import pg from 'pg';
import type { PostgresAction, Rendered } from '../types.js';

const quote = (id: string): string =>
  id
    .split('.')
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join('.');

export class PostgresPools {
  private readonly pools = new Map<string, pg.Pool>();

  private pool(url: string): pg.Pool {
    let p = this.pools.get(url);
    if (!p) {
      p = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
      p.on('error', () => undefined); // an idle client died; the pool replaces it
      this.pools.set(url, p);
    }
    return p;
  }

  async send(a: PostgresAction, r: Rendered): Promise<void> {
    const values = r.values ?? [];
    const cols = values.map(([c]) => quote(c)).join(', ');
    const params = values.map((_, i) => `$${i + 1}`).join(', ');
    await this.pool(a.url).query(
      `INSERT INTO ${quote(a.table)} (${cols}) VALUES (${params})`,
      values.map(([, v]) => v),
    );
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.end().catch(() => undefined)));
  }
}
