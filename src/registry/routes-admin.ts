/** API tokens (admin) and YAML import/export routes (the audit log is src/audit's). */
import type { FastifyInstance } from 'fastify';
import { acceptYamlBodies, type Role, YAML_TYPES } from '../http/index.js';
import { RegistryErrors } from './errors.js';
import { exportYaml, importYaml } from './import-export.js';
import { actorOf } from './routes.js';
import * as S from './schemas.js';
import type { RegistryService } from './service.js';
import type { TokenStore } from './tokens.js';

const errors = { 404: S.errorSchema, 409: S.errorSchema, 422: S.errorSchema };

export function adminRoutes(registry: RegistryService, tokens: TokenStore) {
  return (api: FastifyInstance): void => {
    acceptYamlBodies(api);

    api.get(
      '/tokens',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['tokens'],
          summary: 'List API tokens (never secrets)',
          response: { 200: { type: 'object', properties: { items: { type: 'array', items: S.token } } } },
        },
      },
      async () => ({ items: await tokens.list() }),
    );
    api.post<{ Body: { name: string; role: Role; expiresAt?: number; expiresInSeconds?: number } }>(
      '/tokens',
      {
        config: { action: 'token.create', role: 'admin' },
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token (secret returned once)',
          body: S.tokenBody,
          response: { 201: S.tokenCreated, ...errors },
        },
      },
      async (req, reply) => {
        const b = req.body;
        if (b.expiresAt !== undefined && b.expiresInSeconds !== undefined)
          throw RegistryErrors.invalid(
            'body.expiresInSeconds',
            'give expiresAt or expiresInSeconds, not both',
          );
        const expiresAt =
          b.expiresAt ??
          (b.expiresInSeconds !== undefined ? registry.deps.clock.now() + b.expiresInSeconds * 1000 : null);
        const created = await tokens.create(b.name, b.role, expiresAt);
        await registry.audit(actorOf(req), 'token.create', `tokens/${created.token.id}`, null, created.token);
        return reply.status(201).send(created);
      },
    );
    api.delete<{ Params: { id: string } }>(
      '/tokens/:id',
      {
        config: { action: 'token.revoke', role: 'admin' },
        schema: {
          tags: ['tokens'],
          summary: 'Revoke an API token',
          params: S.idParam,
          response: { 200: S.token, ...errors },
        },
      },
      async (req) => {
        const { before, after } = await tokens.revoke(req.params.id);
        await registry.audit(actorOf(req), 'token.revoke', `tokens/${req.params.id}`, before, after);
        return after;
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
