/** HTTP API for commands under /api/v1 (see docs/commands.md). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, CommandStatus } from '../core/index.js';
import { CommandErrors } from './errors.js';
import type { CommandService } from './service.js';
import { FINAL_STATUSES, type CommandRecord, type CreateCommandRequest } from './types.js';
import { paging, requestContext } from '../http/index.js';

const STATUSES = [
  'queued',
  'sent',
  'acknowledged',
  'succeeded',
  'failed',
  'timed_out',
  'expired',
  'rejected',
];

const nullableInt = { type: ['integer', 'null'] } as const;

export const commandSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    model: { type: ['string', 'null'] },
    name: { type: 'string' },
    params: {},
    status: { type: 'string', enum: STATUSES },
    idempotencyKey: { type: ['string', 'null'] },
    confirm: {
      type: ['object', 'null'],
      properties: { path: { type: 'string' }, equals: {}, shadow: { type: 'string' } },
    },
    offline: { type: 'string', enum: ['reject', 'queue'] },
    timeoutMs: { type: 'integer' },
    requestedAt: { type: 'integer' },
    expiresAt: nullableInt,
    sentAt: nullableInt,
    deadline: nullableInt,
    repliedAt: nullableInt,
    finishedAt: nullableInt,
    replyLatencyMs: nullableInt,
    confirmLatencyMs: nullableInt,
    result: {},
    errorCode: { type: ['string', 'null'] },
    errorMessage: { type: ['string', 'null'] },
    actor: { type: 'object', properties: { kind: { type: 'string' }, id: { type: 'string' } } },
    duplicate: {
      type: 'boolean',
      description: 'true when an earlier command with this idempotency key was returned',
    },
  },
} as const;

/** The answer to POST: the command, and warnings (e.g. sent to an out-of-service device under `warn`). */
const createdSchema = {
  ...commandSchema,
  properties: {
    ...commandSchema.properties,
    warnings: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          reasons: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

const createBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.:-]{1,64}$',
      description: 'command name, one topic level',
    },
    params: { description: 'any JSON value, delivered as is' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 86_400_000, description: 'default 30000' },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
    confirm: {
      type: 'object',
      required: ['path', 'equals'],
      additionalProperties: false,
      properties: {
        path: {
          type: 'string',
          minLength: 1,
          maxLength: 256,
          description: 'dotted path into reported, e.g. "lock"',
        },
        equals: { description: 'the JSON value the reported field must reach' },
        shadow: { type: 'string', maxLength: 64, description: "shadow name; '' = classic (default)" },
      },
    },
    wait: { type: 'boolean', description: 'long-poll until the final outcome (at most timeoutMs + 1 s)' },
    offline: { type: 'string', enum: ['reject', 'queue'], description: 'default reject' },
    expiresInMs: {
      type: 'integer',
      minimum: 1,
      maximum: 30 * 86_400_000,
      description: 'queued commands; default 24 h',
    },
  },
} as const;

const deviceParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1 } },
  required: ['id'],
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...paging({ max: 1000, default: 100 }),
    status: { type: 'string', enum: STATUSES },
  },
} as const;

const latency = {
  type: 'object',
  properties: { count: { type: 'integer' }, p50: nullableInt, p95: nullableInt, p99: nullableInt },
} as const;

const statsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    device: { type: 'string' },
    model: { type: 'string' },
    from: { type: 'string', description: 'requestedAt ≥ from: epoch ms or ISO 8601' },
    to: { type: 'string', description: 'requestedAt < to: epoch ms or ISO 8601' },
  },
} as const;

function parseTime(field: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n))
    throw CommandErrors.invalid(field, 'expected epoch milliseconds or an ISO 8601 time');
  return n;
}

const actorOf = (req: FastifyRequest): Actor => ({ kind: 'token', id: req.principal?.id ?? 'unknown' });

export function commandRoutes(service: CommandService) {
  return (api: FastifyInstance): void => {
    const tags = ['commands'];
    api.post(
      '/devices/:id/commands',
      {
        config: { action: 'command.send' },
        schema: {
          tags,
          params: deviceParams,
          body: createBody,
          response: { 200: createdSchema, 202: createdSchema },
        },
      },
      async (req, reply) => {
        const { id } = req.params as { id: string };
        const body = req.body as CreateCommandRequest;
        const { record, created, warnings } = await service.create(
          id,
          body,
          actorOf(req),
          requestContext(req),
        );
        const out: CommandRecord =
          body.wait && !FINAL_STATUSES.includes(record.status)
            ? await service.waitFor(record.id, service.waitBudget(record))
            : record;
        return reply
          .status(FINAL_STATUSES.includes(out.status) ? 200 : 202)
          .send({ ...out, duplicate: !created, ...(warnings.length ? { warnings } : {}) });
      },
    );
    api.get(
      '/devices/:id/commands',
      {
        schema: {
          tags,
          params: deviceParams,
          querystring: listQuery,
          response: {
            200: {
              type: 'object',
              properties: {
                items: { type: 'array', items: commandSchema },
                total: { type: 'integer' },
                nextOffset: nullableInt,
              },
            },
          },
        },
      },
      async (req) => {
        const { id } = req.params as { id: string };
        const q = req.query as { limit: number; offset: number; status?: CommandStatus };
        const page = await service.list(id, q);
        const next = q.offset + page.items.length;
        return { ...page, nextOffset: next < page.total ? next : null };
      },
    );
    api.get(
      '/commands/stats',
      {
        schema: {
          tags,
          querystring: statsQuery,
          response: {
            200: {
              type: 'object',
              properties: {
                total: { type: 'integer' },
                byStatus: { type: 'object', additionalProperties: { type: 'integer' } },
                replyLatencyMs: latency,
                confirmLatencyMs: latency,
              },
            },
          },
        },
      },
      async (req) => {
        const q = req.query as { name?: string; device?: string; model?: string; from?: string; to?: string };
        const from = parseTime('from', q.from);
        const to = parseTime('to', q.to);
        return service.stats({
          ...(q.name === undefined ? {} : { name: q.name }),
          ...(q.device === undefined ? {} : { deviceId: q.device }),
          ...(q.model === undefined ? {} : { model: q.model }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
        });
      },
    );
    api.get(
      '/commands/:id',
      { schema: { tags, params: deviceParams, response: { 200: commandSchema } } },
      async (req) => service.get((req.params as { id: string }).id),
    );
  };
}
