/**
 * HTTP API under /api/v1: SLO CRUD, status, history, alerts, OpenSLO / Tsunagu YAML import and
 * export. Definitions are validated by definition.ts (strict: unknown fields are errors here,
 * warnings on import) so errors name the field path.
 */
import type { FastifyInstance } from 'fastify';
import { parseSloDefinition, Reader, toTsunagu } from './definition.js';
import { parseDurationMinutes } from './duration.js';
import type { SloEngine } from './service.js';
import { SloErrors } from './errors.js';
import { exportOpenSlo, importOpenSlo } from './openslo.js';
import { looksLikeOpenSlo } from './openslo-kinds.js';
import type { OpenSloObjectRow, SloStore } from './slo-store.js';
import type { DeviceSelector, SloDefinition } from './types.js';
import { selectorMatches } from './device-cache.js';
import { exportTsunagu, importTsunagu } from './yaml-format.js';
import type { DeviceDirectory, DeviceInfo } from '../core/index.js';
import { acceptYamlBodies, paging, principalSees, YAML_TYPES, type Principal } from '../http/index.js';

const anyObject = { type: 'object', additionalProperties: true } as const;
const nameParam = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 63 } },
} as const;
const definitionSchema = {
  type: 'object',
  description: 'An SLO definition (docs/slo.md); unknown fields are rejected with their path',
  additionalProperties: true,
  properties: {
    name: { type: 'string' },
    displayName: { type: 'string' },
    description: { type: 'string' },
    service: { type: 'string' },
    sli: anyObject,
    target: { type: 'number' },
    window: anyObject,
    budgeting: anyObject,
    alerting: anyObject,
  },
} as const;
const statusSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    name: { type: 'string' },
    at: { type: 'number' },
    minute: {
      type: 'number',
      description: 'start (epoch ms) of the newest complete minute the values include',
    },
    evaluatedAt: { type: 'number', description: 'when the values were computed (epoch ms)' },
    window: anyObject,
    good: { type: 'number' },
    total: { type: 'number' },
    sli: { type: ['number', 'null'] },
    target: { type: 'number' },
    budgetRemaining: { type: 'number' },
    burnRates: { type: 'object', additionalProperties: { type: 'number' } },
    exhaustionInMs: { type: ['number', 'null'] },
    budgetBurned: { type: 'array', items: anyObject },
    firing: { type: 'array', items: { type: 'string' } },
  },
} as const;
const formatQuery = {
  type: 'object',
  properties: { format: { type: 'string', enum: ['openslo', 'tsunagu'] } },
} as const;
const errorSchema = anyObject;

function parseTime(v: string | undefined, field: string, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw SloErrors.invalid(field, 'must be epoch milliseconds or an ISO 8601 time');
  return n;
}

const MAX_HISTORY_POINTS = 2000;

/** The devices a selector covers now (enabled or not). */
async function* selected(directory: DeviceDirectory, sel: DeviceSelector): AsyncIterable<DeviceInfo> {
  if (sel.device !== undefined) {
    const d = await directory.getDevice(sel.device);
    if (d && selectorMatches(sel, d.id, undefined, d)) yield d;
    return;
  }
  const filter =
    sel.model !== undefined ? { model: sel.model } : sel.tag !== undefined ? { tag: sel.tag } : {};
  for await (const d of directory.listDevices(filter)) if (selectorMatches(sel, d.id, undefined, d)) yield d;
}

export function sloRoutes(engine: SloEngine, store: SloStore, now: () => number, directory: DeviceDirectory) {
  const strictDefinition = (body: unknown): SloDefinition => parseSloDefinition(body, '', new Reader(true));
  /** A customer's user sees an SLO only when its selector covers only (and some of) the customer's devices. */
  const visible = (p: Principal | undefined, def: SloDefinition): Promise<boolean> =>
    principalSees(p, selected(directory, def.sli.selector));
  /** The SLO, or 404 for a customer it is not visible to (as if it did not exist). */
  const visibleSlo = async (p: Principal | undefined, name: string): Promise<SloDefinition> => {
    const def = engine.get(name);
    if (!(await visible(p, def))) throw SloErrors.notFound(name);
    return def;
  };
  const visibleList = async (p: Principal | undefined): Promise<SloDefinition[]> => {
    const all = engine.list();
    if (p?.customer === undefined) return all;
    const shown = await Promise.all(all.map((d) => visible(p, d)));
    return all.filter((_, i) => shown[i]);
  };

  return (api: FastifyInstance): void => {
    acceptYamlBodies(api, [...YAML_TYPES, 'application/openslo+yaml']);

    api.get(
      '/slos',
      {
        schema: {
          tags: ['slo'],
          response: { 200: { type: 'object', properties: { items: { type: 'array', items: anyObject } } } },
        },
      },
      async (req) => ({ items: (await visibleList(req.principal)).map(toTsunagu) }),
    );

    api.post<{ Body: unknown }>(
      '/slos',
      {
        config: { action: 'slo.create' },
        schema: {
          tags: ['slo'],
          body: definitionSchema,
          response: { 201: anyObject, 409: errorSchema, 422: errorSchema },
        },
      },
      async (req, reply) => {
        const def = strictDefinition(req.body);
        if (engine.has(def.name)) throw SloErrors.exists(def.name);
        await engine.put(def);
        return reply.status(201).send(toTsunagu(def));
      },
    );

    api.get(
      '/slos/export',
      {
        schema: { tags: ['slo'], querystring: formatQuery, response: { 200: { type: 'string' } } },
      },
      async (req, reply) => {
        const { format } = req.query as { format?: string };
        const defs = engine.list();
        const text =
          format === 'tsunagu' ? exportTsunagu(defs) : exportOpenSlo(defs, await store.listOpenSloObjects());
        return reply.header('content-type', 'application/yaml; charset=utf-8').send(text);
      },
    );

    api.post<{ Body: string; Querystring: { format?: string; dryRun?: boolean } }>(
      '/slos/import',
      {
        config: { action: 'slo.import' },
        schema: {
          tags: ['slo'],
          description: 'OpenSLO v1 YAML (default, multi-document) or ?format=tsunagu',
          querystring: {
            type: 'object',
            properties: {
              format: { type: 'string', enum: ['openslo', 'tsunagu'] },
              dryRun: { type: 'boolean' },
            },
          },
          body: { type: 'string' },
          response: {
            200: {
              type: 'object',
              properties: {
                created: { type: 'array', items: { type: 'string' } },
                updated: { type: 'array', items: { type: 'string' } },
                stored: {
                  type: 'array',
                  description: 'OpenSLO documents other than SLOs, kept verbatim (Kind/name)',
                  items: { type: 'string' },
                },
                warnings: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { path: { type: 'string' }, message: { type: 'string' } },
                  },
                },
                dryRun: { type: 'boolean' },
              },
            },
            422: errorSchema,
          },
        },
      },
      async (req) => {
        const r = new Reader(false);
        const text = typeof req.body === 'string' ? req.body : '';
        const format = req.query.format ?? (looksLikeOpenSlo(text) ? 'openslo' : 'tsunagu');
        let defs: SloDefinition[];
        let objects: OpenSloObjectRow[] = [];
        if (format === 'openslo') {
          const stored = new Map(
            (await store.listOpenSloObjects()).map((o) => [`${o.kind}/${o.name}`, o.document] as const),
          );
          ({ defs, objects } = importOpenSlo(text, stored));
        } else defs = importTsunagu(text, r);
        const created: string[] = [];
        const updated: string[] = [];
        for (const d of defs) (engine.has(d.name) ? updated : created).push(d.name);
        if (!req.query.dryRun) {
          for (const d of defs) await engine.put(d);
          // After the definitions: an SLO source stored with a definition the engine does not hold would be exported stale.
          await store.putOpenSloObjects(objects, now());
        }
        const others = objects.filter((o) => o.kind !== 'SLO').map((o) => `${o.kind}/${o.name}`);
        return {
          created,
          updated,
          ...(format === 'openslo' ? { stored: others } : {}),
          warnings: r.warnings,
          dryRun: req.query.dryRun === true,
        };
      },
    );

    api.get<{ Params: { name: string } }>(
      '/slos/:name',
      { schema: { tags: ['slo'], params: nameParam, response: { 200: anyObject, 404: errorSchema } } },
      async (req) => toTsunagu(await visibleSlo(req.principal, req.params.name)),
    );

    api.put<{ Params: { name: string }; Body: Record<string, unknown> }>(
      '/slos/:name',
      {
        config: { action: 'slo.update' },
        schema: {
          tags: ['slo'],
          params: nameParam,
          body: definitionSchema,
          response: { 200: anyObject, 201: anyObject, 422: errorSchema },
        },
      },
      async (req, reply) => {
        const body = { ...req.body };
        body.name ??= req.params.name;
        const def = strictDefinition(body);
        if (def.name !== req.params.name)
          throw SloErrors.invalid('name', `must be ${req.params.name} (the name in the path)`);
        const { created } = await engine.put(def);
        return reply.status(created ? 201 : 200).send(toTsunagu(def));
      },
    );

    api.delete<{ Params: { name: string } }>(
      '/slos/:name',
      {
        config: { action: 'slo.delete' },
        schema: { tags: ['slo'], params: nameParam, response: { 204: { type: 'null' }, 404: errorSchema } },
      },
      async (req, reply) => {
        await engine.remove(req.params.name);
        return reply.status(204).send();
      },
    );

    api.get<{ Params: { name: string } }>(
      '/slos/:name/status',
      { schema: { tags: ['slo'], params: nameParam, response: { 200: statusSchema, 404: errorSchema } } },
      async (req) => {
        await visibleSlo(req.principal, req.params.name);
        const status = engine.status(req.params.name, now());
        return { ...status, firing: engine.firing(req.params.name) };
      },
    );

    api.get<{ Params: { name: string }; Querystring: { from?: string; to?: string; step?: string } }>(
      '/slos/:name/history',
      {
        schema: {
          tags: ['slo'],
          params: nameParam,
          querystring: {
            type: 'object',
            properties: {
              from: { type: 'string', description: 'epoch ms or ISO time; default: 7 days ago' },
              to: { type: 'string', description: 'epoch ms or ISO time; default: now' },
              step: { type: 'string', description: 'duration like 1h; default: (to − from) / 100' },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                from: { type: 'number' },
                to: { type: 'number' },
                stepMinutes: { type: 'number' },
                points: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      at: { type: 'number' },
                      sli: { type: ['number', 'null'] },
                      budgetRemaining: { type: 'number' },
                      good: { type: 'number' },
                      total: { type: 'number' },
                    },
                  },
                },
              },
            },
            404: errorSchema,
            422: errorSchema,
          },
        },
      },
      async (req) => {
        await visibleSlo(req.principal, req.params.name);
        const t = now();
        const to = parseTime(req.query.to, 'to', t);
        const from = parseTime(req.query.from, 'from', to - 7 * 86_400_000);
        if (from > to) throw SloErrors.invalid('from', 'must not be after to');
        if (to - from > 400 * 86_400_000)
          throw SloErrors.invalid('from', 'the range may span at most 400 days');
        let step = Math.max(1, Math.ceil((to - from) / 60_000 / 100));
        if (req.query.step !== undefined) {
          const s = parseDurationMinutes(req.query.step);
          if (s === undefined) throw SloErrors.invalid('step', 'must be a duration like 5m, 1h or 1d');
          step = s;
        }
        if ((to - from) / 60_000 / step > MAX_HISTORY_POINTS)
          throw SloErrors.invalid('step', `too small: at most ${MAX_HISTORY_POINTS} points`);
        const points = await engine.history(req.params.name, from, to, step);
        return { from, to, stepMinutes: step, points };
      },
    );

    api.get<{
      Querystring: { state?: 'firing' | 'resolved'; slo?: string; limit?: number; before?: number };
    }>(
      '/alerts',
      {
        schema: {
          tags: ['slo'],
          description: 'SLO burn-rate alerts, newest first; page with ?before=<nextBefore>',
          querystring: {
            type: 'object',
            properties: {
              state: { type: 'string', enum: ['firing', 'resolved'] },
              slo: { type: 'string' },
              ...paging({ max: 500, default: 50, offset: false }),
              before: { type: 'integer', minimum: 1 },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                items: { type: 'array', items: anyObject },
                nextBefore: { type: ['integer', 'null'] },
              },
            },
          },
        },
      },
      async (req) => {
        await engine.idle();
        const limit = req.query.limit ?? 50;
        const items = await store.listAlerts({
          limit,
          ...(req.query.state ? { state: req.query.state } : {}),
          ...(req.query.slo ? { sloId: req.query.slo } : {}),
          ...(req.query.before ? { before: req.query.before } : {}),
        });
        const nextBefore = items.length === limit ? (items[items.length - 1]?.id ?? null) : null;
        if (req.principal?.customer === undefined) return { items, nextBefore };
        // A customer's page keeps only its SLOs' alerts (it may hold fewer than `limit`; keep paging).
        const mine = new Set((await visibleList(req.principal)).map((d) => d.name));
        return { items: items.filter((a) => mine.has(a.sloId)), nextBefore };
      },
    );
  };
}
