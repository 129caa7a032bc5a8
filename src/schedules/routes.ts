/** HTTP routes of the schedules module (inside `/api/v1`). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import type { Actor } from '../core/index.js';
import { stringify } from 'yaml';
import { acceptYamlBodies, paging, parseYamlDocuments, principalSees } from '../http/index.js';
import { ScheduleErrors } from './errors.js';
import { EXECUTION_STATUSES, type ExecutionStatus } from './execution.js';
import * as S from './schemas.js';
import type { SchedulesService } from './service.js';
import type { Schedule } from './types.js';

const tags = ['schedules'];
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } };
const executionQuery = {
  type: 'object',
  properties: {
    ...paging({ max: 1000, default: 100 }),
    status: { type: 'string', enum: [...EXECUTION_STATUSES] },
  },
};

const actorOf = (req: FastifyRequest): Actor =>
  req.principal
    ? { kind: 'token', id: req.principal.id, name: req.principal.name }
    : { kind: 'system', id: 'anonymous' };

/** An instant as ISO 8601 or epoch ms; NaN when neither. */
function instant(v: string | undefined, field: string): number {
  if (v === undefined || v === '')
    throw ScheduleErrors.invalid(field, 'is required (ISO 8601 time or epoch ms)');
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw ScheduleErrors.invalid(field, 'must be an ISO 8601 time or epoch ms');
  return n;
}

function ifMatch(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined) return undefined;
  const n = Number(String(h).replace(/"/g, ''));
  if (!Number.isInteger(n)) throw ScheduleErrors.invalid('If-Match', 'must be the schedule version');
  return n;
}

type Q = { limit: number; offset: number; status?: ExecutionStatus };

export function schedulesRoutes(svc: SchedulesService): (api: FastifyInstance) => void {
  /**
   * A customer's user sees a schedule only when all its targets are the customer's devices (a
   * device id it lists that is missing or disabled counts as not theirs); staff see every schedule.
   */
  const visible = async (req: FastifyRequest, s: Schedule): Promise<boolean> => {
    if (req.principal?.customer === undefined) return true;
    const devices = await svc.targets(s);
    const ids = new Set(devices.map((d) => d.id));
    return s.targets.devices.every((id) => ids.has(id)) && principalSees(req.principal, devices);
  };
  /** The schedule, or 404 for a customer it is not visible to (as if it did not exist). */
  const visibleSchedule = async (req: FastifyRequest, id: string): Promise<Schedule> => {
    const s = await svc.get(id);
    if (!(await visible(req, s))) throw ScheduleErrors.notFound(id);
    return s;
  };
  return (api) => {
    acceptYamlBodies(api);
    api.get(
      '/schedules/export',
      {
        schema: {
          tags,
          summary: 'Every schedule as YAML (`schedules:` list, no ids)',
          response: { 200: { type: 'string' } },
        },
      },
      async (_req, reply) =>
        reply
          .header('content-type', 'application/yaml; charset=utf-8')
          .send(stringify({ schedules: await svc.exportAll() })),
    );
    api.post<{ Body: unknown; Querystring: { dryRun?: boolean } }>(
      '/schedules/import',
      {
        config: { action: 'schedule.import' },
        schema: {
          tags,
          summary: 'Create or replace schedules by name from YAML or JSON',
          description:
            '`{schedules: [...]}`, a list of schedules, or one; all are checked before any is written',
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
        const docs = typeof req.body === 'string' ? parseYamlDocuments(req.body) : [req.body];
        const list = docs.flatMap((d) =>
          Array.isArray(d)
            ? d
            : d && typeof d === 'object' && Array.isArray((d as { schedules?: unknown }).schedules)
              ? (d as { schedules: unknown[] }).schedules
              : [d],
        );
        if (list.length === 0) throw ScheduleErrors.invalid('schedules', 'no schedules in the document');
        return svc.importMany(list, actorOf(req), req.query.dryRun === true);
      },
    );
    api.get(
      '/schedules',
      { schema: { tags, response: { 200: { type: 'array', items: S.schedule } } } },
      async (req) => {
        const all = await svc.list();
        if (req.principal?.customer === undefined) return all;
        const shown = await Promise.all(all.map((s) => visible(req, s)));
        return all.filter((_, i) => shown[i]);
      },
    );
    api.post(
      '/schedules',
      {
        config: { action: 'schedule.create' },
        schema: { tags, summary: 'Create a schedule', body: S.scheduleBody, response: { 201: S.schedule } },
      },
      async (req, reply) => reply.status(201).send(await svc.create(req.body, actorOf(req))),
    );
    api.get<{ Params: { id: string } }>(
      '/schedules/:id',
      { schema: { tags, params: idParams, response: { 200: S.schedule } } },
      (req) => visibleSchedule(req, req.params.id),
    );
    api.put<{ Params: { id: string } }>(
      '/schedules/:id',
      {
        config: { action: 'schedule.update' },
        schema: {
          tags,
          summary: 'Replace a schedule (If-Match: version refuses a stale edit)',
          params: idParams,
          body: S.scheduleBody,
          response: { 200: S.schedule },
        },
      },
      (req) => svc.update(req.params.id, req.body, actorOf(req), ifMatch(req)),
    );
    api.delete<{ Params: { id: string } }>(
      '/schedules/:id',
      {
        config: { action: 'schedule.delete' },
        schema: { tags, params: idParams, response: { 204: { type: 'null' } } },
      },
      async (req, reply) => {
        await svc.delete(req.params.id, actorOf(req));
        return reply.status(204).send();
      },
    );
    api.post<{ Params: { id: string }; Body: { list: string; ics: string; from: string; to: string } }>(
      '/schedules/:id/holidays',
      {
        config: { action: 'schedule.holidays.import' },
        schema: {
          tags,
          summary: 'Import an iCalendar (.ics) file into a named holiday list (replacing it)',
          params: idParams,
          body: {
            type: 'object',
            required: ['list', 'ics', 'from', 'to'],
            properties: {
              list: { type: 'string', minLength: 1, maxLength: 64 },
              ics: {
                type: 'string',
                maxLength: 1_000_000,
                description: 'the .ics text (request bodies are limited to 1 MiB)',
              },
              from: { type: 'string', description: 'first date to take, YYYY-MM-DD' },
              to: { type: 'string', description: 'last date to take, YYYY-MM-DD' },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                schedule: S.schedule,
                imported: {
                  type: 'object',
                  properties: {
                    dates: { type: 'array', items: { type: 'string' } },
                    events: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { date: { type: 'string' }, summary: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      (req) =>
        svc.importHolidays(
          req.params.id,
          req.body.list,
          req.body.ics,
          req.body.from,
          req.body.to,
          actorOf(req),
        ),
    );
    api.get<{ Params: { id: string }; Querystring: { from?: string; to?: string; device?: string } }>(
      '/schedules/:id/preview',
      {
        schema: {
          tags,
          summary: 'The writes the schedule makes between from and to (for a device: in its zone)',
          params: idParams,
          querystring: {
            type: 'object',
            properties: { from: { type: 'string' }, to: { type: 'string' }, device: { type: 'string' } },
          },
          response: { 200: S.preview },
        },
      },
      async (req) => {
        await visibleSchedule(req, req.params.id);
        return svc.preview(
          req.params.id,
          instant(req.query.from, 'from'),
          instant(req.query.to, 'to'),
          req.query.device,
        );
      },
    );
    api.get<{ Params: { id: string }; Querystring: Q & { device?: string } }>(
      '/schedules/:id/executions',
      {
        schema: {
          tags,
          params: idParams,
          querystring: {
            ...executionQuery,
            properties: { ...executionQuery.properties, device: { type: 'string' } },
          },
          response: { 200: S.page(S.execution) },
        },
      },
      async (req) => {
        await visibleSchedule(req, req.params.id);
        const { device, status, limit, offset } = req.query;
        return svc.executions({
          scheduleId: req.params.id,
          limit,
          offset,
          ...(device ? { deviceId: device } : {}),
          ...(status ? { status } : {}),
        });
      },
    );
    api.get<{ Params: { id: string }; Querystring: Q }>(
      '/devices/:id/schedule-executions',
      {
        schema: {
          tags,
          params: idParams,
          querystring: executionQuery,
          response: { 200: S.page(S.execution) },
        },
      },
      (req) => {
        const { status, limit, offset } = req.query;
        return svc.executions({ deviceId: req.params.id, limit, offset, ...(status ? { status } : {}) });
      },
    );
    api.get<{ Params: { id: string } }>(
      '/schedules/:id/overrides',
      { schema: { tags, params: idParams, response: { 200: { type: 'array', items: S.override } } } },
      async (req) => {
        await visibleSchedule(req, req.params.id);
        return svc.overrides(req.params.id);
      },
    );
    api.delete<{ Params: { id: string; device: string } }>(
      '/schedules/:id/overrides/:device',
      {
        config: { action: 'schedule.override.clear' },
        schema: {
          tags,
          summary: 'Clear a manual override: the schedule applies the state due now',
          params: {
            type: 'object',
            required: ['id', 'device'],
            properties: { id: { type: 'string' }, device: { type: 'string' } },
          },
          response: { 204: { type: 'null' } },
        },
      },
      async (req, reply) => {
        await svc.clearOverride(req.params.id, req.params.device, actorOf(req));
        return reply.status(204).send();
      },
    );
  };
}
