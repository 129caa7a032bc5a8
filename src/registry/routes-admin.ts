/** YAML import/export routes (API tokens are auth/'s, the audit log is src/audit's). */
import type { FastifyInstance } from 'fastify';
import { acceptYamlBodies, YAML_TYPES } from '../http/index.js';
import { RegistryErrors } from './errors.js';
import { exportYaml, importYaml } from './import-export.js';
import { actorOf } from './routes.js';
import * as S from './schemas.js';
import type { RegistryService } from './service.js';

const errors = { 404: S.errorSchema, 409: S.errorSchema, 422: S.errorSchema };

export function adminRoutes(registry: RegistryService) {
  return (api: FastifyInstance): void => {
    acceptYamlBodies(api);

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
