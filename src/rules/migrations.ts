/** Tables of the rules module (prefixed `rules_`). */
import type { Migration } from '../store/index.js';

export const rulesMigrations: Migration[] = [
  {
    id: 1,
    name: 'rules and the action delivery queue',
    sqlite: `
      CREATE TABLE rules_rules (name TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE rules_deliveries (id TEXT PRIMARY KEY, rule TEXT NOT NULL, action INTEGER NOT NULL, action_type TEXT NOT NULL,
        request TEXT NOT NULL, origin TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL, last_error TEXT, claim_owner TEXT, claim_until INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX rules_deliveries_due ON rules_deliveries (status, next_attempt_at);
      CREATE INDEX rules_deliveries_rule ON rules_deliveries (rule, status, created_at);
    `,
    postgres: `
      CREATE TABLE rules_rules (name TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE TABLE rules_deliveries (id TEXT PRIMARY KEY, rule TEXT NOT NULL, action INTEGER NOT NULL, action_type TEXT NOT NULL,
        request TEXT NOT NULL, origin TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
        next_attempt_at BIGINT NOT NULL, last_error TEXT, claim_owner TEXT, claim_until BIGINT NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE INDEX rules_deliveries_due ON rules_deliveries (status, next_attempt_at);
      CREATE INDEX rules_deliveries_rule ON rules_deliveries (rule, status, created_at);
    `,
  },
];
