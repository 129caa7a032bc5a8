/** HTTP routes of the health module (inside `/api/v1`). */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger'; // schema.tags / summary
import type { Actor, ServiceState } from '../core/index.js';
import type { HealthPolicy } from './policy.js';
import type { HealthApi } from './service.js';
import { paging } from '../http/index.js';

const STATES = ['in_service', 'out_of_service', 'maintenance', 'retired'];
const SEVERITIES = ['info', 'warning', 'error', 'critical'];
const counts = {
  type: 'object',
  properties: Object.fromEntries(STATES.map((s) => [s, { type: 'integer' }])),
};
const actor = {
  type: 'object',
  properties: { kind: { type: 'string' }, id: { type: 'string' }, name: { type: 'string', nullable: true } },
};
const transition = {
  type: 'object',
  properties: {
    deviceId: { type: 'string' },
    at: { type: 'number' },
    from: { type: 'string' },
    to: { type: 'string' },
    reasons: { type: 'array', items: { type: 'string' } },
    actor,
    note: { type: 'string' },
  },
};
const stateView = {
  type: 'object',
  properties: {
    deviceId: { type: 'string' },
    model: { type: 'string', nullable: true },
    state: { type: 'string', enum: STATES },
    reasons: { type: 'array', items: { type: 'string' } },
    since: { type: 'number', nullable: true },
    lastSeen: { type: 'number', nullable: true },
    history: { type: 'array', items: transition },
  },
};
const threshold = {
  type: 'object',
  required: ['code', 'threshold', 'windowMs', 'severity', 'action'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 128 },
    threshold: { type: 'integer', minimum: 1 },
    windowMs: { type: 'integer', minimum: 1 },
    severity: { type: 'string', enum: SEVERITIES },
    action: { type: 'string', enum: ['out_of_service', 'alert_only'] },
  },
};
const heartbeat = {
  type: 'object',
  additionalProperties: false,
  properties: {
    intervalMs: { type: 'integer', minimum: 1000 },
    graceMs: { type: 'integer', minimum: 0 },
    signOfLife: { type: 'string', enum: ['heartbeat', 'any_message', 'connection'] },
  },
};
const policy = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    heartbeat,
    errorThresholds: { type: 'array', items: threshold },
    flappingMinConnects: { type: 'integer' },
    updatedAt: { type: 'number' },
  },
};
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } };
const modelParams = {
  type: 'object',
  required: ['model'],
  properties: { model: { type: 'string', minLength: 1 } },
};

export function healthRoutes(health: HealthApi): (api: FastifyInstance) => void {
  return (api) => {
    api.get<{ Params: { id: string }; Querystring: { historyLimit: number } }>(
      '/devices/:id/service-state',
      {
        schema: {
          tags: ['health'],
          summary: 'Current service state and transition history (newest first)',
          params: idParams,
          querystring: {
            type: 'object',
            properties: { historyLimit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
          },
          response: { 200: stateView },
        },
      },
      (req) => health.getServiceState(req.params.id, req.query.historyLimit),
    );
    api.put<{ Params: { id: string }; Body: { state: ServiceState; note: string; reason?: string } }>(
      '/devices/:id/service-state',
      {
        schema: {
          tags: ['health'],
          summary: 'Change the service state by hand; the note (what was checked in the field) is required',
          params: idParams,
          body: {
            type: 'object',
            required: ['state', 'note'],
            additionalProperties: false,
            properties: {
              state: { type: 'string', enum: STATES },
              note: { type: 'string', maxLength: 4000 },
              reason: {
                type: 'string',
                minLength: 1,
                maxLength: 200,
                description: 'a bare label such as "flat_tyre" means "manual:flat_tyre"',
              },
            },
          },
          response: { 200: stateView },
        },
        config: { role: 'operator', action: 'device.service_state.set' },
      },
      (req) => {
        const p = req.principal;
        // The history shows who did it: the token's name (the person), with its id for the audit trail.
        const who: Actor = p ? { kind: 'token', id: p.id, name: p.name } : { kind: 'system', id: 'unknown' };
        return health.setServiceState(req.params.id, req.body, who);
      },
    );
    api.get(
      '/fleet/health',
      {
        schema: {
          tags: ['health'],
          summary: 'Counts by state, reason, model and tag; share of the fleet in service now',
          response: {
            200: {
              type: 'object',
              properties: {
                at: { type: 'number' },
                total: { type: 'integer' },
                byState: counts,
                byReason: { type: 'object', additionalProperties: { type: 'integer' } },
                byModel: { type: 'object', additionalProperties: counts },
                byTag: { type: 'object', additionalProperties: counts },
                inServiceShare: { type: 'number' },
              },
            },
          },
        },
      },
      () => health.fleetHealth(),
    );
    api.get<{ Querystring: { offset: number; limit: number; model?: string; reason?: string } }>(
      '/fleet/out-of-service',
      {
        schema: {
          tags: ['health'],
          summary: 'Devices out of service, longest out first, paged',
          querystring: {
            type: 'object',
            properties: {
              ...paging({ max: 10_000, default: 100 }),
              model: { type: 'string' },
              reason: { type: 'string' },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                total: { type: 'integer' },
                items: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      deviceId: { type: 'string' },
                      model: { type: 'string', nullable: true },
                      tags: { type: 'array', items: { type: 'string' } },
                      since: { type: 'number' },
                      reasons: { type: 'array', items: { type: 'string' } },
                      lastSeen: { type: 'number', nullable: true },
                    },
                  },
                },
              },
            },
          },
        },
      },
      (req) => health.outOfService(req.query),
    );
    api.get<{ Querystring: { limit: number } }>(
      '/health/platform-downtime',
      {
        schema: {
          tags: ['health'],
          summary:
            'When devices could not reach the platform (restarts, crashes), newest first; no heartbeat deadline counts these spans',
          querystring: {
            type: 'object',
            properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
          },
          response: {
            200: {
              type: 'array',
              items: {
                type: 'object',
                properties: { from: { type: 'number' }, to: { type: 'number' }, clean: { type: 'boolean' } },
              },
            },
          },
        },
      },
      (req) => health.platformDowntime(req.query.limit),
    );
    api.get(
      '/health/policies',
      {
        schema: {
          tags: ['health'],
          summary: 'Health policies per model',
          response: { 200: { type: 'array', items: policy } },
        },
      },
      () => health.listPolicies(),
    );
    api.get<{ Params: { model: string } }>(
      '/health/policies/:model',
      { schema: { tags: ['health'], params: modelParams, response: { 200: policy } } },
      (req) => health.getPolicy(req.params.model),
    );
    api.put<{ Params: { model: string }; Body: Omit<HealthPolicy, 'model' | 'updatedAt'> }>(
      '/health/policies/:model',
      {
        config: { action: 'health_policy.set' },
        schema: {
          tags: ['health'],
          summary: 'Create or replace the health policy of a model',
          params: modelParams,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              heartbeat,
              errorThresholds: { type: 'array', items: threshold, default: [] },
              flappingMinConnects: { type: 'integer', minimum: 0 },
            },
          },
          response: { 200: policy },
        },
      },
      (req) => health.putPolicy({ ...req.body, model: req.params.model }),
    );
    api.delete<{ Params: { model: string } }>(
      '/health/policies/:model',
      {
        config: { action: 'health_policy.delete' },
        schema: { tags: ['health'], params: modelParams, response: { 204: { type: 'null' } } },
      },
      async (req, reply) => {
        await health.deletePolicy(req.params.model);
        return reply.status(204).send();
      },
    );
  };
}
