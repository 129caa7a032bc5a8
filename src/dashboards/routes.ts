/** HTTP routes of the dashboards module (inside `/api/v1`). Reads: viewer; writes: operator. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import { stringify } from 'yaml';
import { acceptYamlBodies, parseYamlDocuments } from '../http/index.js';
import { DashboardErrors } from './errors.js';
import * as S from './schemas.js';
import type { DashboardsService, Viewer } from './service.js';

const tags = ['dashboards'];
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } };
const modelQuery = {
  type: 'object',
  required: ['model'],
  properties: { model: { type: 'string', minLength: 1 } },
} as const;

const viewerOf = (req: FastifyRequest): Viewer =>
  req.principal?.customer === undefined
    ? {}
    : { customer: req.principal.customer, devices: req.principal.devices };

function ifMatch(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined) return undefined;
  const n = Number(String(h).replace(/"/g, ''));
  if (!Number.isInteger(n)) throw DashboardErrors.invalid('If-Match', 'must be the dashboard version');
  return n;
}

/** `{dashboards: [...]}`, a list, or one dashboard per YAML document. */
function documents(body: unknown): unknown[] {
  const docs = typeof body === 'string' ? parseYamlDocuments(body) : [body];
  return docs.flatMap((d) =>
    Array.isArray(d)
      ? d
      : d && typeof d === 'object' && Array.isArray((d as { dashboards?: unknown }).dashboards)
        ? (d as { dashboards: unknown[] }).dashboards
        : [d],
  );
}

export function dashboardsRoutes(svc: DashboardsService): (api: FastifyInstance) => void {
  return (api) => {
    acceptYamlBodies(api);
    api.get(
      '/dashboards/export',
      {
        schema: {
          tags,
          summary: 'Every dashboard as YAML (`dashboards:` list, no ids)',
          response: { 200: { type: 'string' } },
        },
      },
      async (_req, reply) =>
        reply
          .header('content-type', 'application/yaml; charset=utf-8')
          .send(stringify({ dashboards: await svc.exportAll() })),
    );
    api.post<{ Body: unknown; Querystring: { dryRun?: boolean } }>(
      '/dashboards/import',
      {
        config: { action: 'dashboard.import' },
        schema: {
          tags,
          summary: 'Create or replace dashboards by name from YAML or JSON',
          description:
            '`{dashboards: [...]}`, a list of dashboards, or one; all are checked before any is written',
          querystring: { type: 'object', properties: { dryRun: { type: 'boolean', default: false } } },
          response: {
            200: {
              type: 'object',
              properties: {
                created: { type: 'array', items: { type: 'string' } },
                updated: { type: 'array', items: { type: 'string' } },
              },
            },
          },
        },
      },
      async (req) => {
        const list = documents(req.body);
        if (list.length === 0) throw DashboardErrors.invalid('dashboards', 'no dashboards in the document');
        return svc.importMany(list, viewerOf(req), req.query.dryRun === true);
      },
    );
    api.get<{ Querystring: { model: string } }>(
      '/dashboards/default',
      {
        schema: {
          tags,
          summary: 'The default dashboard of a device model, generated from its decoder fields (not stored)',
          querystring: modelQuery,
          response: { 200: S.dashboard },
        },
      },
      (req) => svc.defaultFor(req.query.model),
    );
    api.get<{ Querystring: { model: string } }>(
      '/dashboards/fields',
      {
        schema: {
          tags,
          summary: 'The keys a model’s devices send, with units (decoder declarations, then reported keys)',
          querystring: modelQuery,
          response: { 200: { type: 'array', items: S.field } },
        },
      },
      (req) => svc.fields(req.query.model),
    );
    api.get(
      '/dashboards',
      {
        schema: {
          tags,
          summary: 'Dashboards the caller may see',
          response: { 200: { type: 'array', items: S.dashboard } },
        },
      },
      (req) => svc.list(viewerOf(req)),
    );
    api.post(
      '/dashboards',
      {
        config: { action: 'dashboard.create' },
        schema: {
          tags,
          summary: 'Create a dashboard',
          body: S.dashboardBody,
          response: { 201: S.dashboard },
        },
      },
      async (req, reply) => reply.status(201).send(await svc.create(req.body, viewerOf(req))),
    );
    api.get<{ Params: { id: string } }>(
      '/dashboards/:id',
      { schema: { tags, params: idParams, response: { 200: S.dashboard } } },
      (req) => svc.get(req.params.id, viewerOf(req)),
    );
    api.put<{ Params: { id: string } }>(
      '/dashboards/:id',
      {
        config: { action: 'dashboard.update' },
        schema: {
          tags,
          summary: 'Replace a dashboard (If-Match: version refuses a stale edit)',
          params: idParams,
          body: S.dashboardBody,
          response: { 200: S.dashboard },
        },
      },
      (req) => svc.update(req.params.id, req.body, viewerOf(req), ifMatch(req)),
    );
    api.delete<{ Params: { id: string } }>(
      '/dashboards/:id',
      {
        config: { action: 'dashboard.delete' },
        schema: { tags, params: idParams, response: { 204: { type: 'null' } } },
      },
      async (req, reply) => {
        await svc.delete(req.params.id, viewerOf(req));
        return reply.status(204).send();
      },
    );
  };
}
