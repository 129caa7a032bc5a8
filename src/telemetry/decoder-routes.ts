/** `/api/v1/decoders`: CRUD, YAML import/export, and trying a decoder on a sample payload. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock, EventBus } from '../core/index.js';
import { parseDecodersYaml, toDecodersYaml } from './decoder-yaml.js';
import type { DecoderService } from './decoder-service.js';
import { TelemetryErrors } from './errors.js';
import { decoderBodySchema, decoderSchema, idParams, samplePayload, testResultSchema } from './schemas.js';
import { acceptYamlBodies } from '../http/index.js';

interface Sample {
  payload: string;
  encoding?: 'text' | 'base64';
}

const toBuffer = (s: Sample): Buffer => Buffer.from(s.payload, s.encoding === 'base64' ? 'base64' : 'utf8');

export function decoderRoutes(
  api: FastifyInstance,
  decoders: DecoderService,
  bus: EventBus,
  clock: Clock,
): void {
  const audit = (req: FastifyRequest, action: string, id: string, before?: unknown, after?: unknown): void =>
    bus.emit('audit', {
      at: clock.now(),
      actor: req.principal
        ? { kind: 'token', id: req.principal.id, name: req.principal.name }
        : { kind: 'system', id: 'unknown' },
      action,
      resource: `decoder/${id}`,
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
    });

  acceptYamlBodies(api);

  api.get(
    '/decoders',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'List decoders',
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: decoderSchema } } } },
      },
    },
    async () => ({ items: await decoders.list() }),
  );

  api.get(
    '/decoders/export',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Every decoder as YAML documents',
        produces: ['application/yaml'],
        response: { 200: { type: 'string' } },
      },
    },
    async (_req, reply) => reply.type('application/yaml').send(toDecodersYaml(await decoders.list())),
  );

  api.post<{ Body: string }>(
    '/decoders/import',
    {
      config: { action: 'decoder.import' },
      schema: {
        tags: ['telemetry'],
        summary: 'Create or replace decoders from YAML (one definition per document)',
        consumes: ['application/yaml'],
        body: { type: 'string' },
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
      if (typeof req.body !== 'string')
        throw TelemetryErrors.invalidDecoder('body', 'send YAML with Content-Type: application/yaml');
      const defs = parseDecodersYaml(req.body);
      const created: string[] = [];
      const updated: string[] = [];
      for (const d of defs) {
        const r = await decoders.put(d, 'upsert'); // every definition was validated by parseDecodersYaml first
        (r.created ? created : updated).push(d.id);
        audit(req, r.created ? 'decoder.create' : 'decoder.update', d.id, r.before, r.definition);
      }
      return { created, updated };
    },
  );

  api.post<{ Body: Record<string, unknown> }>(
    '/decoders',
    {
      config: { action: 'decoder.create' },
      schema: {
        tags: ['telemetry'],
        summary: 'Create a decoder',
        body: decoderSchema,
        response: { 201: decoderSchema },
      },
    },
    async (req, reply) => {
      const r = await decoders.put(req.body, 'create');
      audit(req, 'decoder.create', r.definition.id, undefined, r.definition);
      return reply.status(201).send(r.definition);
    },
  );

  // Static paths above win over `/decoders/:id` in Fastify's router, so `test` and `export` are safe ids to route.
  api.post<{ Body: Sample & { decoder: Record<string, unknown> } }>(
    '/decoders/test',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Decode a sample payload with an inline decoder definition',
        body: {
          type: 'object',
          required: ['decoder', 'payload'],
          properties: { decoder: decoderSchema, ...samplePayload },
        },
        response: { 200: testResultSchema },
      },
      config: { role: 'viewer', action: 'decoder.test' },
    },
    async (req) => decoders.test(req.body.decoder, toBuffer(req.body)),
  );

  api.get<{ Params: { id: string } }>(
    '/decoders/:id',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Get a decoder',
        params: idParams,
        response: { 200: decoderSchema },
      },
    },
    async (req) => decoders.get(req.params.id),
  );

  api.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/decoders/:id',
    {
      config: { action: 'decoder.put' },
      schema: {
        tags: ['telemetry'],
        summary: 'Create or replace a decoder',
        params: idParams,
        body: decoderBodySchema,
        response: { 200: decoderSchema, 201: decoderSchema },
      },
    },
    async (req, reply) => {
      if (req.body.id !== undefined && req.body.id !== req.params.id)
        throw TelemetryErrors.invalidDecoder(
          'id',
          `body id ${JSON.stringify(req.body.id)} differs from the URL's "${req.params.id}"`,
        );
      const r = await decoders.put({ ...req.body, id: req.params.id }, 'upsert');
      audit(req, r.created ? 'decoder.create' : 'decoder.update', r.definition.id, r.before, r.definition);
      return reply.status(r.created ? 201 : 200).send(r.definition);
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/decoders/:id',
    {
      config: { action: 'decoder.delete' },
      schema: {
        tags: ['telemetry'],
        summary: 'Delete a decoder',
        params: idParams,
        response: { 204: { type: 'null' } },
      },
    },
    async (req, reply) => {
      const before = await decoders.delete(req.params.id);
      audit(req, 'decoder.delete', req.params.id, before);
      return reply.status(204).send();
    },
  );

  api.post<{ Params: { id: string }; Body: Sample }>(
    '/decoders/:id/test',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Decode a sample payload with a stored decoder (points, events, errors)',
        params: idParams,
        body: { type: 'object', required: ['payload'], properties: samplePayload },
        response: { 200: testResultSchema },
      },
      config: { role: 'viewer', action: 'decoder.test' },
    },
    async (req) => decoders.test(req.params.id, toBuffer(req.body)),
  );
}
