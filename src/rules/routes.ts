/**
 * HTTP API under /api/v1: rules CRUD, enable/disable, deliveries, the test run, YAML import and
 * export. Validation errors are 422 naming the field (`actions[0].url`, `sql` with line, column
 * and token in `details`). The module writes its own audit entries (before/after, secrets masked).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { stringify } from 'yaml';
import type { Actor } from '../core/index.js';
import { acceptYamlBodies, parseYamlDocuments } from '../http/index.js';
import { RulesErrors } from './errors.js';
import type { RulesService, TestInput } from './service.js';
import { ACTION_TYPES } from './types.js';

const anyObject = { type: 'object', additionalProperties: true } as const;
const actionSchema = {
  type: 'object',
  additionalProperties: true,
  description:
    'An action (docs/rules.md): republish, http, postgres, amqp, nats, telemetry, shadow, command, notify or alarm',
  properties: {
    type: { type: 'string', enum: [...ACTION_TYPES] },
    secret: { type: 'string', writeOnly: true },
  },
} as const;
const ruleSchema = {
  type: 'object',
  additionalProperties: true,
  description: 'A rule: AWS IoT SQL statement and actions; unknown fields are rejected with their path',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    sql: { type: 'string' },
    enabled: { type: 'boolean' },
    actions: { type: 'array', items: actionSchema },
    errorAction: actionSchema,
  },
} as const;
const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 128 } },
} as const;
const testSchema = {
  type: 'object',
  required: ['topic'],
  additionalProperties: false,
  properties: {
    rule: { type: 'string', description: 'test a stored rule' },
    definition: { ...ruleSchema, description: 'or an inline rule (name optional)' },
    topic: { type: 'string', minLength: 1, maxLength: 1024 },
    payload: { description: 'the message payload as JSON' },
    payloadBase64: { type: 'string', description: 'or a payload that is not JSON, base64' },
    clientId: { type: 'string' },
  },
} as const;

function actorOf(req: FastifyRequest): Actor {
  const p = req.principal;
  return p ? { kind: 'token', id: p.id, name: p.name } : { kind: 'system', id: 'api' };
}

export function rulesRoutes(service: RulesService) {
  return (api: FastifyInstance): void => {
    acceptYamlBodies(api);

    api.get(
      '/rules',
      {
        schema: {
          tags: ['rules'],
          response: { 200: { type: 'object', properties: { items: { type: 'array', items: anyObject } } } },
        },
      },
      async () => ({
        items: await service.list(),
      }),
    );

    api.post<{ Body: unknown }>(
      '/rules',
      {
        config: { action: 'rule.create' },
        schema: { tags: ['rules'], body: ruleSchema, response: { 201: anyObject } },
      },
      async (req, reply) =>
        reply.status(201).send(await service.create(req.body, actorOf(req)).then((r) => service.get(r.name))),
    );

    api.get(
      '/rules/export',
      { schema: { tags: ['rules'], response: { 200: { type: 'string' } } } },
      async (_req, reply) =>
        reply
          .header('content-type', 'application/yaml; charset=utf-8')
          .send(stringify({ rules: await service.exportAll() })),
    );

    api.post<{ Body: unknown }>(
      '/rules/import',
      {
        config: { action: 'rule.import' },
        schema: {
          tags: ['rules'],
          description: 'YAML or JSON: `{rules: [...]}` or a list of rules',
          response: { 200: anyObject },
        },
      },
      async (req) => {
        const body = typeof req.body === 'string' ? parseYamlDocuments(req.body) : [req.body];
        const list = body.flatMap((d) =>
          Array.isArray(d)
            ? d
            : d && typeof d === 'object' && Array.isArray((d as { rules?: unknown }).rules)
              ? (d as { rules: unknown[] }).rules
              : [d],
        );
        if (list.length === 0) throw RulesErrors.invalid('rules', 'no rules in the document');
        return service.importMany(list, actorOf(req));
      },
    );

    api.post<{ Body: TestInput }>(
      '/rules/test',
      {
        config: { action: 'rule.test' },
        schema: {
          tags: ['rules'],
          description:
            'Evaluate a rule on a sample message: SELECT output, WHERE result and the requests its actions would send (not sent)',
          body: testSchema,
          response: { 200: anyObject },
        },
      },
      async (req) => {
        const b = req.body;
        if ((b.rule === undefined) === (b.definition === undefined))
          throw RulesErrors.invalid('rule', 'give either rule (a stored rule) or definition');
        const r = await service.test(b);
        return {
          ...r,
          where: r.where ?? null,
          output: Buffer.isBuffer(r.output) ? { base64: r.output.toString('base64') } : (r.output ?? null),
        };
      },
    );

    api.get<{ Params: { name: string } }>(
      '/rules/:name',
      { schema: { tags: ['rules'], params: nameParams, response: { 200: anyObject } } },
      (req) => service.get(req.params.name),
    );

    api.put<{ Params: { name: string }; Body: unknown }>(
      '/rules/:name',
      {
        config: { action: 'rule.update' },
        schema: { tags: ['rules'], params: nameParams, body: ruleSchema, response: { 200: anyObject } },
      },
      async (req) => {
        await service.replace(req.params.name, req.body, actorOf(req));
        return service.get(req.params.name);
      },
    );

    for (const verb of ['enable', 'disable'] as const)
      api.post<{ Params: { name: string } }>(
        `/rules/:name/${verb}`,
        {
          config: { action: `rule.${verb}` },
          schema: { tags: ['rules'], params: nameParams, response: { 200: anyObject } },
        },
        async (req) => {
          await service.setEnabled(req.params.name, verb === 'enable', actorOf(req));
          return service.get(req.params.name);
        },
      );

    api.delete<{ Params: { name: string } }>(
      '/rules/:name',
      { config: { action: 'rule.delete' }, schema: { tags: ['rules'], params: nameParams } },
      async (req, reply) => {
        await service.remove(req.params.name, actorOf(req));
        return reply.status(204).send();
      },
    );

    api.get<{
      Params: { name: string };
      Querystring: { status?: 'pending' | 'delivered' | 'failed'; limit?: number };
    }>(
      '/rules/:name/deliveries',
      {
        schema: {
          tags: ['rules'],
          params: nameParams,
          querystring: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
              limit: { type: 'integer', minimum: 1, maximum: 1000 },
            },
          },
          response: { 200: { type: 'object', properties: { items: { type: 'array', items: anyObject } } } },
        },
      },
      async (req) => {
        await service.get(req.params.name);
        return { items: await service.deliveries(req.params.name, req.query.status, req.query.limit ?? 100) };
      },
    );
  };
}
