/** Pick the SloStore adapter for the platform's database and create its tables. */
import type { Database } from '../store/index.js';
import { PgSloStore } from './pg-slo-store.js';
import type { SloStore } from './slo-store.js';
import { SqliteSloStore } from './sqlite-slo-store.js';

export async function openSloStore(db: Database): Promise<SloStore> {
  if (db.kind === 'sqlite') {
    const s = new SqliteSloStore(db);
    await s.init();
    return s;
  }
  const s = new PgSloStore(db);
  await s.init();
  return s;
}
