/** GET /audit: the audit log, newest first (the API the registry served before; unchanged). */
import type { FastifyInstance } from 'fastify';
import { legacyAuditRedactor, paging as pagingQuery } from '../http/index.js';
import type { AuditLog } from './service.js';

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const ms = { type: 'integer', description: 'epoch milliseconds' } as const;

const auditEntry = obj({
  id: { type: 'integer' },
  at: ms,
  actor: obj({ kind: { type: 'string' }, id: { type: 'string' }, name: { type: ['string', 'null'] } }),
  action: { type: 'string' },
  resource: { type: 'string' },
  before: {},
  after: {},
});

const auditQuery = obj({
  actor: { type: 'string', description: 'actor id (token id, device id …)' },
  resource: { type: 'string', description: 'e.g. devices/d1 (includes its sub-resources)' },
  ...pagingQuery({ max: 1000, default: 50 }),
});

const page = (item: unknown) =>
  obj(
    {
      items: { type: 'array', items: item },
      total: { type: 'integer' },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
      nextOffset: { type: ['integer', 'null'] },
    },
    ['items', 'total'],
  );

export function auditRoutes(audit: AuditLog) {
  return (api: FastifyInstance): void => {
    let legacy: ReturnType<typeof legacyAuditRedactor> | undefined;
    api.get<{ Querystring: { actor?: string; resource?: string; limit: number; offset: number } }>(
      '/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'Audit log, newest first',
          querystring: auditQuery,
          response: { 200: page(auditEntry) },
        },
      },
      async (req) => {
        // Built on first read: the route table is complete once the server is ready.
        const mask = (legacy ??= legacyAuditRedactor(api.routeTable));
        const { actor, resource, limit, offset } = req.query;
        const p = await audit.list({
          ...(actor !== undefined ? { actor } : {}),
          ...(resource !== undefined ? { resource } : {}),
          limit,
          offset,
        });
        return {
          items: p.items.map((e) => ({
            id: e.id,
            at: e.at,
            actor: { kind: e.actorKind, id: e.actorId, name: e.actorName },
            action: e.action,
            resource: e.resource,
            before: mask(e.action, e.before),
            after: mask(e.action, e.after),
          })),
          total: p.total,
          limit,
          offset,
          nextOffset: offset + p.items.length < p.total ? offset + p.items.length : null,
        };
      },
    );
  };
}
