/**
 * The audit log (ARCHITECTURE.md `audit/`): the sink every module writes to — who (user or token
 * name), action, resource, before/after with secrets redacted — and the `GET /audit` API. An entry
 * is never dropped: `record()` fails the request when the entry cannot be made durable, and
 * everything queued is retried in order until written (service.ts); with `journalPath` the queue
 * survives a crash (journal.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ModuleContext, PlatformModule } from '../platform/index.js';
import { openAuditStore } from './open-audit-store.js';
import { auditRoutes } from './routes.js';
import { AuditLog, type AuditLogOptions } from './service.js';
import type { AuditStore } from './audit-store.js';

export { AuditLog, entryFromEvent, type AuditEvent, type AuditLogOptions } from './service.js';
export type { AuditEntry, AuditQuery, AuditPage, AuditStore } from './audit-store.js';
export { AuditErrors } from './errors.js';
export { openAuditStore } from './open-audit-store.js';
export { AUDIT_JOURNAL_FILE } from './journal.js';

export interface AuditModule extends PlatformModule {
  readonly log: AuditLog;
  routes: (api: FastifyInstance) => void;
}

export interface AuditModuleOptions extends AuditLogOptions {
  /** Another store (tests use one that fails on demand). */
  store?: AuditStore;
}

export async function createAudit(ctx: ModuleContext, opts: AuditModuleOptions = {}): Promise<AuditModule> {
  const store = opts.store ?? (await openAuditStore(ctx.db));
  const log = new AuditLog(store, ctx.clock, ctx.log.child({ component: 'audit' }), opts);
  log.listen(ctx.bus);
  log.replay();
  return {
    name: 'audit',
    log,
    routes: auditRoutes(log),
    stop: () => log.stop(),
  };
}
