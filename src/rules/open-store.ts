import type { Database } from '../store/index.js';
import { createPgRulesStore } from './pg-rules-store.js';
import type { RulesStore } from './rules-store.js';
import { createSqliteRulesStore } from './sqlite-rules-store.js';

export function openRulesStore(db: Database): Promise<RulesStore> {
  return db.kind === 'sqlite' ? createSqliteRulesStore(db) : createPgRulesStore(db);
}
