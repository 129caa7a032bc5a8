/**
 * HTTP API for shadows under /api/v1. The classic shadow is `/devices/{id}/shadow`, a named one
 * `/devices/{id}/shadows/{name}`. Errors use the AWS shadow messages with their HTTP statuses.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, DeviceDirectory } from '../core/index.js';
import { ShadowErrors } from './errors.js';
import type { ShadowService } from './service.js';
import { SHADOW_NAME } from './topics.js';
import { paging, requestContext } from '../http/index.js';

// The classic shadow's path has only {id}; a named shadow's has {id} and {name}. Each route declares
// exactly the parameters of its path, or the OpenAPI document is invalid.
const classicParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1 } },
  required: ['id'],
} as const;
const namedParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id', 'name'],
} as const;

const anyObject = { type: 'object', additionalProperties: true } as const;

// Types are described, not enforced here: the shadow parser answers with the AWS messages
// ("State node must be an object", "Invalid version", …) exactly as over MQTT.
const updateBody = {
  type: 'object',
  description: 'AWS shadow request document: { state: { desired?, reported? }, version?, clientToken? }',
  properties: {
    state: { description: 'object with desired and/or reported (objects, or null to clear)' },
    version: { description: 'integer; the update applies only if the shadow has this version' },
    clientToken: { description: 'string up to 64 bytes, echoed in the response' },
  },
  additionalProperties: true,
} as const;

const historyQuery = {
  type: 'object',
  properties: {
    from: { type: 'string', description: 'epoch ms or ISO 8601, inclusive' },
    to: { type: 'string', description: 'epoch ms or ISO 8601, exclusive' },
    ...paging({ max: 1000, default: 100 }),
  },
  additionalProperties: false,
} as const;

const historyReply = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          version: { type: 'integer' },
          op: { type: 'string', enum: ['update', 'delete'] },
          at: { type: 'integer' },
          actor: { type: 'object', properties: { kind: { type: 'string' }, id: { type: 'string' } } },
          request: {},
          state: anyObject,
        },
      },
    },
    total: { type: 'integer' },
    nextOffset: { type: ['integer', 'null'] },
  },
} as const;

const diffQuery = {
  type: 'object',
  properties: { from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 0 } },
  required: ['from', 'to'],
  additionalProperties: false,
} as const;

const diffReply = {
  type: 'object',
  properties: {
    from: { type: 'integer' },
    to: { type: 'integer' },
    changes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          path: { type: 'string' },
          op: { type: 'string', enum: ['added', 'removed', 'changed'] },
          from: {},
          to: {},
        },
      },
    },
  },
} as const;

interface Params {
  id: string;
  name?: string;
}

function parseTime(field: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw ShadowErrors.invalidTime(field);
  return n;
}

export function shadowRoutes(service: ShadowService, directory: DeviceDirectory) {
  const actorOf = (req: FastifyRequest): Actor => ({ kind: 'token', id: req.principal?.id ?? 'unknown' });

  async function target(req: FastifyRequest): Promise<{ id: string; name: string }> {
    const p = req.params as Params;
    const name = p.name ?? '';
    if (name !== '' && !SHADOW_NAME.test(name)) throw ShadowErrors.invalidName(name);
    if (!(await directory.getDevice(p.id))) throw ShadowErrors.thingNotFound();
    return { id: p.id, name };
  }

  return (api: FastifyInstance): void => {
    for (const [base, idParams] of [
      ['/devices/:id/shadow', classicParams],
      ['/devices/:id/shadows/:name', namedParams],
    ] as const) {
      const tags = ['shadows'];
      api.get(base, { schema: { tags, params: idParams, response: { 200: anyObject } } }, async (req) => {
        const t = await target(req);
        return service.get(t.id, t.name);
      });
      api.post(
        base,
        {
          config: { action: 'shadow.update' },
          schema: { tags, params: idParams, body: updateBody, response: { 200: anyObject } },
        },
        async (req) => {
          const t = await target(req);
          return service.update(t.id, t.name, req.body, actorOf(req), requestContext(req));
        },
      );
      api.delete(
        base,
        {
          config: { action: 'shadow.delete' },
          schema: { tags, params: idParams, response: { 200: anyObject } },
        },
        async (req) => {
          const t = await target(req);
          return service.delete(t.id, t.name, {}, actorOf(req));
        },
      );
      api.get(
        `${base}/history`,
        { schema: { tags, params: idParams, querystring: historyQuery, response: { 200: historyReply } } },
        async (req) => {
          const t = await target(req);
          const q = req.query as { from?: string; to?: string; limit: number; offset: number };
          const from = parseTime('from', q.from);
          const to = parseTime('to', q.to);
          const page = await service.history(t.id, t.name, {
            limit: q.limit,
            offset: q.offset,
            ...(from === undefined ? {} : { from }),
            ...(to === undefined ? {} : { to }),
          });
          const next = q.offset + page.items.length;
          return { ...page, nextOffset: next < page.total ? next : null };
        },
      );
      api.get(
        `${base}/diff`,
        { schema: { tags, params: idParams, querystring: diffQuery, response: { 200: diffReply } } },
        async (req) => {
          const t = await target(req);
          const q = req.query as { from: number; to: number };
          return { from: q.from, to: q.to, changes: await service.diff(t.id, t.name, q.from, q.to) };
        },
      );
    }
    api.get(
      '/devices/:id/shadows',
      {
        schema: {
          tags: ['shadows'],
          params: classicParams,
          response: {
            200: { type: 'object', properties: { names: { type: 'array', items: { type: 'string' } } } },
          },
        },
      },
      async (req) => {
        const t = await target(req);
        return { names: await service.listNames(t.id) };
      },
    );
  };
}
