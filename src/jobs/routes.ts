/** HTTP routes of the jobs module (inside `/api/v1`); artifacts are in `routes-artifacts.ts`. */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { paging } from '../http/index.js';
import { createJobBody, execution, idParams, jobSummary, jobView, timelineEntry } from './schemas.js';
import type { CreateJobInput, JobsService } from './service.js';
import { EXECUTION_STATUSES, type ExecutionStatus, type JobStatus } from './types.js';

const tags = ['jobs'];
const page = paging({ max: 1000, default: 100 });
const statusQuery = { type: 'string', enum: [...EXECUTION_STATUSES] };

export function jobRoutes(svc: JobsService): (api: FastifyInstance) => void {
  return (api) => {
    api.post<{ Body: CreateJobInput }>(
      '/jobs',
      {
        config: { action: 'job.create' },
        schema: {
          tags,
          summary: 'Create a job (AWS IoT Jobs CreateJob fields)',
          body: createJobBody,
          response: { 201: jobView },
        },
      },
      async (req, reply) => reply.status(201).send(await svc.create(req.body)),
    );
    api.get<{ Querystring: { status?: JobStatus; limit: number; offset: number } }>(
      '/jobs',
      {
        schema: {
          tags,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              ...page,
              status: { type: 'string', enum: ['IN_PROGRESS', 'PAUSED', 'CANCELED', 'COMPLETED'] },
            },
          },
          response: { 200: { type: 'array', items: jobSummary } },
        },
      },
      (req) => svc.list(req.query),
    );
    api.get<{
      Querystring: {
        deviceId: string;
        status?: ExecutionStatus;
        all?: boolean;
        limit: number;
        offset: number;
      };
    }>(
      '/jobs/executions',
      {
        schema: {
          tags,
          summary: "A device's job executions (its job history)",
          querystring: {
            type: 'object',
            required: ['deviceId'],
            additionalProperties: false,
            properties: {
              ...page,
              deviceId: { type: 'string', minLength: 1 },
              status: statusQuery,
              all: { type: 'boolean', default: false },
            },
          },
          response: { 200: { type: 'array', items: execution } },
        },
      },
      (req) => svc.executions(req.query),
    );
    api.get<{ Params: { id: string } }>(
      '/jobs/:id',
      {
        schema: {
          tags,
          summary: 'A job with its progress per execution state',
          params: idParams,
          response: { 200: jobView },
        },
      },
      (req) => svc.status(req.params.id),
    );
    api.get<{ Params: { id: string } }>(
      '/jobs/:id/timeline',
      { schema: { tags, params: idParams, response: { 200: { type: 'array', items: timelineEntry } } } },
      async (req) => {
        await svc.get(req.params.id);
        return svc.timelineOf(req.params.id);
      },
    );
    api.get<{
      Params: { id: string };
      Querystring: { status?: ExecutionStatus; all?: boolean; limit: number; offset: number };
    }>(
      '/jobs/:id/executions',
      {
        schema: {
          tags,
          summary: "A job's executions (latest per device; all=true includes retried ones)",
          params: idParams,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { ...page, status: statusQuery, all: { type: 'boolean', default: false } },
          },
          response: { 200: { type: 'array', items: execution } },
        },
      },
      (req) => svc.executions({ ...req.query, jobId: req.params.id }),
    );
    api.post<{ Params: { id: string }; Body: { force?: boolean; reason?: string } }>(
      '/jobs/:id/cancel',
      {
        config: { action: 'job.cancel' },
        schema: {
          tags,
          summary: 'Cancel a job: QUEUED executions, and IN_PROGRESS ones with force',
          params: idParams,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { force: { type: 'boolean' }, reason: { type: 'string', maxLength: 1000 } },
          },
          response: { 200: jobView },
        },
      },
      (req) => svc.cancel(req.params.id, { ...(req.body ?? {}), by: 'operator' }),
    );
    api.post<{ Params: { id: string }; Body: { reason?: string } }>(
      '/jobs/:id/pause',
      {
        config: { action: 'job.pause' },
        schema: {
          tags,
          params: idParams,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { reason: { type: 'string', maxLength: 1000 } },
          },
          response: { 200: jobView },
        },
      },
      (req) => svc.pause(req.params.id, req.body?.reason ?? 'paused by an operator'),
    );
    api.post<{ Params: { id: string } }>(
      '/jobs/:id/resume',
      { config: { action: 'job.resume' }, schema: { tags, params: idParams, response: { 200: jobView } } },
      (req) => svc.resume(req.params.id),
    );
    api.post<{ Params: { id: string; deviceId: string }; Body: { force?: boolean } }>(
      '/jobs/:id/executions/:deviceId/cancel',
      {
        config: { action: 'job.execution.cancel' },
        schema: {
          tags,
          params: {
            type: 'object',
            required: ['id', 'deviceId'],
            properties: { id: { type: 'string', minLength: 1 }, deviceId: { type: 'string', minLength: 1 } },
          },
          body: { type: 'object', additionalProperties: false, properties: { force: { type: 'boolean' } } },
          response: { 200: execution },
        },
      },
      (req) => svc.cancelExecution(req.params.id, req.params.deviceId, req.body?.force === true),
    );
    api.delete<{ Params: { id: string }; Querystring: { force?: boolean } }>(
      '/jobs/:id',
      {
        config: { action: 'job.delete' },
        schema: {
          tags,
          params: idParams,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { force: { type: 'boolean', default: false } },
          },
          response: { 204: { type: 'null' } },
        },
      },
      async (req, reply) => {
        await svc.delete(req.params.id, req.query.force === true);
        return reply.status(204).send();
      },
    );
  };
}
