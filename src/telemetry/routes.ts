/**
 * Device data routes: HTTP ingest for gateways, series queries (raw or rollups by bucket size),
 * CSV export, the readable event log, and fleet latest values.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  type Clock,
  CoreErrors,
  inContext,
  type DeviceDirectory,
  type LastSeenReader,
  type Severity,
} from '../core/index.js';
import { TelemetryErrors } from './errors.js';
import type { IngestQueue } from './ingest-queue.js';
import type { TelemetryIngest } from './service.js';
import { csvCell, parseBucket, parseCursor, parseTimeParam, sourceFor } from './query-params.js';
import { bucketOf } from './rollup.js';
import {
  errorResponse,
  idParams,
  latestSchema,
  seriesQuerySchema,
  seriesResponseSchema,
  storedEventSchema,
} from './schemas.js';
import type { Agg, TelemetryStore } from './telemetry-store.js';
import { paging, requestContext } from '../http/index.js';

const DAY = 24 * 3600_000;
const MAX_BUCKETS = 10_000;

interface SeriesQuery {
  metric?: string;
  from?: string;
  to?: string;
  bucket?: string;
  agg: Agg;
  format: 'json' | 'csv';
  limit: number;
}

export interface RouteDeps {
  store: TelemetryStore;
  ingest: TelemetryIngest;
  queue: IngestQueue;
  directory: DeviceDirectory;
  clock: Clock;
  /** Presence's last-seen (the registry's reader); without it `lastSeen` is null. */
  lastSeen: LastSeenReader | undefined;
}

/**
 * JSON items are re-serialized one message each (transport `http`); a text/plain body is one
 * telegram per line, forwarded by a gateway, so it is decoded like a telegram (transport `telegram`).
 */
function toPayloads(
  body: Record<string, unknown> | Record<string, unknown>[] | string,
  contentType: string,
): { transport: 'http' | 'telegram'; payloads: Buffer[] } {
  if (typeof body !== 'string')
    return {
      transport: 'http',
      payloads: (Array.isArray(body) ? body : [body]).map((i) => Buffer.from(JSON.stringify(i))),
    };
  if (!contentType.startsWith('text/plain'))
    throw CoreErrors.validation('body', 'must be a JSON object or array (send telegram lines as text/plain)');
  const lines = body.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length > 1000) throw CoreErrors.validation('body', 'at most 1000 telegram lines per request');
  return { transport: 'telegram', payloads: lines.map((l) => Buffer.from(l)) };
}

export function dataRoutes(api: FastifyInstance, d: RouteDeps): void {
  api.post<{ Params: { id: string }; Body: Record<string, unknown> | Record<string, unknown>[] | string }>(
    '/devices/:id/telemetry',
    {
      config: { action: 'telemetry.ingest' },
      schema: {
        tags: ['telemetry'],
        summary:
          'Ingest telemetry for a device through the model’s decoder: one JSON object, an array batch, or text/plain telegram lines',
        params: idParams,
        body: { type: ['object', 'array', 'string'], items: { type: 'object' }, maxItems: 1000 },
        response: {
          200: {
            type: 'object',
            properties: {
              accepted: { type: 'number' },
              points: { type: 'number' },
              events: { type: 'number' },
              decodeErrors: { type: 'number' },
            },
          },
          404: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (req) => {
      const deviceId = req.params.id;
      const trace = requestContext(req); // the request's trace does not follow the awaits below
      const device = await d.directory.getDevice(deviceId);
      if (!device) throw CoreErrors.notFound(`device ${deviceId}`);
      if (!device.enabled) throw CoreErrors.forbidden(`device ${deviceId} is disabled`);
      if (d.queue.isFull()) throw TelemetryErrors.overloaded();
      const { transport, payloads } = toPayloads(req.body, String(req.headers['content-type'] ?? ''));
      const results = [];
      for (const payload of payloads)
        results.push(
          await inContext(trace, () =>
            d.ingest.accept({ deviceId, kind: 'telemetry', transport, topic: 'http', payload }),
          ),
        );
      await Promise.all(results.map((r) => r.persisted)); // 200 means durable
      return {
        accepted: results.length,
        points: results.reduce((n, r) => n + r.points, 0),
        events: results.reduce((n, r) => n + r.events, 0),
        decodeErrors: results.filter((r) => !r.decoded).length,
      };
    },
  );

  const series = async (deviceId: string, q: SeriesQuery, reply: FastifyReply, csv: boolean) => {
    const to = parseTimeParam(q.to, 'to') ?? d.clock.now();
    let from = parseTimeParam(q.from, 'from') ?? to - DAY;
    if (from >= to) throw TelemetryErrors.invalidQuery('from', 'must be before to');
    const bucketMs = parseBucket(q.bucket);
    let body;
    if (bucketMs === undefined) {
      const pts = await d.store.queryPoints({
        deviceId,
        from,
        to,
        limit: q.limit,
        ...(q.metric ? { metric: q.metric } : {}),
      });
      body = {
        deviceId,
        metric: q.metric ?? null,
        from,
        to,
        bucket: null,
        agg: null,
        source: 'raw',
        points: pts.map((p) => ({ ts: p.ts, metric: p.metric, value: p.value })),
      };
    } else {
      if (!q.metric) throw TelemetryErrors.invalidQuery('metric', 'is required with bucket');
      from = bucketOf(from, bucketMs); // buckets are aligned to multiples of their size since the epoch (UTC)
      if ((to - from) / bucketMs > MAX_BUCKETS)
        throw TelemetryErrors.invalidQuery(
          'bucket',
          `${q.bucket} over this range gives more than ${MAX_BUCKETS} buckets; use a larger bucket`,
        );
      const source = sourceFor(bucketMs);
      const rows = await d.store.queryBuckets({
        deviceId,
        metric: q.metric,
        from,
        to,
        bucketMs,
        agg: q.agg,
        source,
      });
      body = {
        deviceId,
        metric: q.metric,
        from,
        to,
        bucket: bucketMs,
        agg: q.agg,
        source,
        points: rows.map((r) => ({ ts: r.ts, metric: q.metric!, value: r.value })),
      };
    }
    if (!csv && q.format !== 'csv') return body;
    const lines = ['time,ts,device_id,metric,value'];
    for (const p of body.points)
      lines.push(
        [new Date(p.ts).toISOString(), p.ts, csvCell(deviceId), csvCell(p.metric), p.value].join(','),
      );
    return reply
      .type('text/csv; charset=utf-8')
      .header(
        'content-disposition',
        `attachment; filename="${deviceId.replace(/[^A-Za-z0-9_.-]/g, '_')}-telemetry.csv"`,
      )
      .send(lines.join('\n') + '\n');
  };
  const seriesSchema = (summary: string) => ({
    tags: ['telemetry'],
    summary,
    params: idParams,
    querystring: seriesQuerySchema,
    response: { 200: seriesResponseSchema, 422: errorResponse },
  });
  api.get<{ Params: { id: string }; Querystring: SeriesQuery }>(
    '/devices/:id/telemetry',
    {
      schema: seriesSchema(
        'A device’s series: raw points, or buckets from raw/minute/hour rollups by bucket size (format=csv for CSV)',
      ),
    },
    async (req, reply) => series(req.params.id, req.query, reply, false),
  );
  api.get<{ Params: { id: string }; Querystring: SeriesQuery }>(
    '/devices/:id/telemetry.csv',
    {
      schema: {
        ...seriesSchema('CSV export of a device’s series'),
        produces: ['text/csv'],
        response: { 200: { type: 'string' } },
      },
    },
    async (req, reply) => series(req.params.id, req.query, reply, true),
  );

  api.get<{
    Params: { id: string };
    Querystring: {
      from?: string;
      to?: string;
      code?: string;
      severity?: Severity;
      q?: string;
      limit: number;
      cursor?: string;
    };
  }>(
    '/devices/:id/events',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'The device’s readable event log, newest first, paged with `cursor`',
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'string' },
            to: { type: 'string' },
            code: { type: 'string' },
            severity: { type: 'string', enum: ['info', 'warning', 'error', 'critical'] },
            q: { type: 'string', maxLength: 200 },
            ...paging({ max: 1000, default: 100, offset: false }),
            cursor: { type: 'string' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: storedEventSchema },
              nextCursor: { type: 'string' },
            },
          },
          422: errorResponse,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const to = parseTimeParam(q.to, 'to') ?? d.clock.now() + 1;
      const from = parseTimeParam(q.from, 'from') ?? 0;
      const before = parseCursor(q.cursor);
      const items = await d.store.queryEvents({
        deviceId: req.params.id,
        from,
        to,
        limit: q.limit,
        ...(q.code ? { code: q.code } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.q ? { q: q.q } : {}),
        ...(before ? { before } : {}),
      });
      const last = items[items.length - 1];
      return {
        items: items.map((e) => ({ ...e, time: new Date(e.ts).toISOString() })),
        ...(items.length === q.limit && last ? { nextCursor: `${last.ts}:${last.id}` } : {}),
      };
    },
  );

  api.get<{ Params: { id: string } }>(
    '/devices/:id/latest',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'A device’s latest value of every metric and attribute, and when it was last seen',
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: latestSchema },
              lastSeen: {
                type: ['object', 'null'],
                properties: { ts: { type: 'number' }, kind: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const [items, seen] = await Promise.all([
        d.store.latest({ deviceIds: [req.params.id], limit: 10_000 }),
        d.lastSeen?.get(req.params.id),
      ]);
      // The latest message and its kind, from presence (the one store of last-seen).
      const lastSeen = seen?.messageKind ? { ts: seen.messageAt, kind: seen.messageKind } : null;
      return { items, lastSeen };
    },
  );

  api.get<{ Querystring: { model?: string; tag?: string; metric?: string; limit: number } }>(
    '/telemetry/latest',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Fleet latest values, optionally for one model or tag and one metric',
        querystring: {
          type: 'object',
          properties: {
            model: { type: 'string' },
            tag: { type: 'string' },
            metric: { type: 'string' },
            ...paging({ max: 100_000, default: 10_000, offset: false }),
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: latestSchema } } } },
      },
    },
    async (req) => {
      const { model, tag, metric, limit } = req.query;
      let deviceIds: string[] | undefined;
      if (model !== undefined || tag !== undefined) {
        deviceIds = [];
        const filter = { ...(model !== undefined ? { model } : {}), ...(tag !== undefined ? { tag } : {}) };
        for await (const dev of d.directory.listDevices(filter)) deviceIds.push(dev.id);
      }
      return {
        items: await d.store.latest({
          limit,
          ...(deviceIds ? { deviceIds } : {}),
          ...(metric ? { metric } : {}),
        }),
      };
    },
  );
}
