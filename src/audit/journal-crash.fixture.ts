/**
 * The child process of journal.test.ts's crash test (not part of the platform). It writes two
 * entries to a real SQLite audit store, then makes the store fail and keeps accepting entries:
 * `record()` answers AUDIT_UNAVAILABLE (the 503 path) and `enqueue()` queues bus-style entries.
 * After each answer it prints `acked <action>`; then `ready`, and it waits to be killed with -9.
 *
 * Usage: tsx journal-crash.fixture.ts <sqlite file> <journal file>
 */
import { silentLogger, systemClock } from '../core/index.js';
import { openSqlite } from '../store/index.js';
import type { AuditEntry, AuditStore } from './audit-store.js';
import { openAuditStore } from './open-audit-store.js';
import { AuditLog } from './service.js';

/** An entry as an API change records it (the audit tests' sample). */
export const sampleEntry = (action: string): AuditEntry => ({
  at: 1,
  actorKind: 'token',
  actorId: 'tok',
  actorName: 'ci',
  action,
  resource: 'devices/d1',
  before: null,
  after: { password: '[redacted]' },
});

async function main(dbPath: string, journalPath: string): Promise<void> {
  const db = openSqlite(dbPath);
  const real = await openAuditStore(db);
  let failing = false;
  const store: AuditStore = {
    append: async (entries) => {
      if (failing) throw new Error('database unreachable');
      await real.append(entries);
    },
    list: (q) => real.list(q),
  };
  // Retries far apart: the store stays down until the process is killed.
  const log = new AuditLog(store, systemClock, silentLogger, { retryMs: 60_000, journalPath });
  const say = (line: string): void => void process.stdout.write(line + '\n');
  await log.record(sampleEntry('w1'));
  await log.record(sampleEntry('w2'));
  say('acked w1');
  failing = true;
  log.enqueue(sampleEntry('q0')); // queued before the first failure: journaled with the queue
  for (const action of ['j1', 'j2', 'j3']) {
    await log.record(sampleEntry(action)).catch((err: { code?: string }) => {
      if (err.code !== 'AUDIT_UNAVAILABLE') throw err;
    });
    say(`acked ${action}`);
  }
  log.enqueue(sampleEntry('q1'));
  await log.record(sampleEntry('j4')).catch(() => undefined);
  say('acked j4');
  say('ready');
  setInterval(() => undefined, 60_000);
}

if (process.argv[2] && process.argv[3]) void main(process.argv[2], process.argv[3]);
