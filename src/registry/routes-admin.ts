/** Audit log and YAML import/export routes (API tokens moved to auth/). */
import type { FastifyInstance } from 'fastify';
import { acceptYamlBodies, legacyAuditRedactor, YAML_TYPES } from '../http/index.js';
import { RegistryErrors } from './errors.js';
import { exportYaml, importYaml } from './import-export.js';
import { actorOf, nextOffset } from './routes.js';
import * as S from './schemas.js';
import type { RegistryService } from './service.js';

const errors = { 404: S.errorSchema, 409: S.errorSchema, 422: S.errorSchema };

export function adminRoutes(registry: RegistryService) {
  return (api: FastifyInstance): void => {
    acceptYamlBodies(api);
    let legacy: ReturnType<typeof legacyAuditRedactor> | undefined;

    api.get<{ Querystring: { actor?: string; resource?: string; limit: number; offset: number } }>(
      '/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'Audit log, newest first',
          querystring: S.auditQuery,
          response: { 200: S.page(S.auditEntry) },
        },
      },
      async (req) => {
        // Built on first read: the route table is complete once the server is ready.
        const mask = (legacy ??= legacyAuditRedactor(api.routeTable));
        await registry.deps.connectivity.flush(); // audit events from other modules ride the batch writer
        const { actor, resource, limit, offset } = req.query;
        const page = await registry.deps.store.listAudit({
          ...(actor !== undefined ? { actor } : {}),
          ...(resource !== undefined ? { resource } : {}),
          limit,
          offset,
        });
        return {
          items: page.items.map((e) => ({
            id: e.id,
            at: e.at,
            actor: { kind: e.actorKind, id: e.actorId, name: e.actorName },
            action: e.action,
            resource: e.resource,
            before: mask(e.action, e.before),
            after: mask(e.action, e.after),
          })),
          total: page.total,
          limit,
          offset,
          nextOffset: nextOffset(offset, page.items.length, page.total),
        };
      },
    );

    api.get(
      '/export',
      {
        schema: {
          tags: ['import/export'],
          summary: 'Export device models and devices as YAML',
          produces: ['application/yaml'],
          response: { 200: { type: 'string' } },
        },
      },
      async (_req, reply) =>
        reply.header('content-type', 'application/yaml; charset=utf-8').send(await exportYaml(registry)),
    );
    api.post<{ Body: unknown }>(
      '/import',
      {
        config: { action: 'registry.import' },
        schema: {
          tags: ['import/export'],
          summary: 'Create or update device models and devices from YAML (application/yaml or text/yaml)',
          consumes: YAML_TYPES,
          body: { type: 'string' },
          response: { 200: S.importResult, ...errors },
        },
      },
      async (req) => {
        if (typeof req.body !== 'string')
          throw RegistryErrors.unsupportedMedia(String(req.headers['content-type']));
        return importYaml(registry, req.body, actorOf(req));
      },
    );
  };
}
