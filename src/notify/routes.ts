/** HTTP routes of the notify module (inside `/api/v1`). */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger'; // schema.tags / summary
import type { ChannelInput, NotifyService, RouteInput } from './service.js';
import { SEVERITIES } from './severity.js';
import { NOTIFY_KINDS, type NotificationStatus } from './types.js';
import { paging } from '../http/index.js';

const STATUSES = ['grouping', 'pending', 'delivered', 'failed'];
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } };
const strings = { type: 'array', items: { type: 'string' } };

const channelView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    url: { type: 'string', description: 'the origin only, e.g. https://hooks.slack.com/…' },
    hasSecret: { type: 'boolean' },
    groupWindowMs: { type: 'integer' },
    timeoutMs: { type: 'integer' },
    consoleUrl: { type: 'string' },
    enabled: { type: 'boolean' },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
  },
};
const channelBody = {
  type: 'object',
  required: ['name', 'type', 'url'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    type: { type: 'string', enum: ['slack', 'webhook'] },
    // Secrets are declared here (`writeOnly`): masked in audit entries, never returned, sealed at rest.
    url: {
      type: 'string',
      minLength: 1,
      maxLength: 2000,
      writeOnly: true,
      description: 'Slack incoming-webhook URL or webhook endpoint (write-only: responses show its origin)',
    },
    secret: {
      type: 'string',
      nullable: true,
      maxLength: 512,
      writeOnly: true,
      description: 'webhook signing key (write-only)',
    },
    groupWindowMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 120_000 },
    consoleUrl: { type: 'string', maxLength: 2000 },
    enabled: { type: 'boolean' },
  },
};
const route = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    channelIds: strings,
    kinds: strings,
    minSeverity: { type: 'string' },
    models: strings,
    tags: strings,
    enabled: { type: 'boolean' },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
  },
};
const routeBody = {
  type: 'object',
  required: ['name', 'channelIds'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    channelIds: { type: 'array', items: { type: 'string' }, minItems: 1 },
    kinds: { type: 'array', items: { type: 'string', enum: [...NOTIFY_KINDS] } },
    minSeverity: { type: 'string', enum: [...SEVERITIES] },
    models: strings,
    tags: strings,
    enabled: { type: 'boolean' },
  },
};
const notification = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    channelId: { type: 'string' },
    kind: { type: 'string' },
    reason: { type: 'string' },
    status: { type: 'string' },
    itemCount: { type: 'integer' },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'number' },
    windowEndsAt: { type: 'number' },
    lastError: { type: 'string', nullable: true },
    lastStatusCode: { type: 'integer', nullable: true },
    createdAt: { type: 'number' },
    deliveredAt: { type: 'number', nullable: true },
  },
};
const item = {
  type: 'object',
  properties: {
    eventId: { type: 'string' },
    kind: { type: 'string' },
    severity: { type: 'string' },
    reason: { type: 'string' },
    title: { type: 'string' },
    at: { type: 'number' },
    deviceId: { type: 'string' },
    model: { type: 'string' },
    since: { type: 'number' },
    data: { type: 'object', additionalProperties: true },
  },
};

export function notifyRoutes(svc: NotifyService): (api: FastifyInstance) => void {
  return (api) => {
    const tags = ['notify'];
    api.get(
      '/notification-channels',
      { schema: { tags, response: { 200: { type: 'array', items: channelView } } } },
      () => svc.listChannels(),
    );
    api.post<{ Body: ChannelInput }>(
      '/notification-channels',
      {
        config: { action: 'notification_channel.create' },
        schema: {
          tags,
          summary: 'Create a Slack or webhook channel',
          body: channelBody,
          response: { 201: channelView },
        },
      },
      async (req, reply) => reply.status(201).send(await svc.createChannel(req.body)),
    );
    api.get<{ Params: { id: string } }>(
      '/notification-channels/:id',
      { schema: { tags, params: idParams, response: { 200: channelView } } },
      (req) => svc.getChannel(req.params.id),
    );
    api.put<{ Params: { id: string }; Body: ChannelInput }>(
      '/notification-channels/:id',
      {
        config: { action: 'notification_channel.update' },
        schema: {
          tags,
          summary: 'Replace a channel (omit secret to keep it, null to remove it)',
          params: idParams,
          body: channelBody,
          response: { 200: channelView },
        },
      },
      (req) => svc.updateChannel(req.params.id, req.body),
    );
    api.post<{ Params: { id: string } }>(
      '/notification-channels/:id/test',
      {
        config: { action: 'notification_channel.test' },
        schema: {
          tags,
          summary: 'Send a test message through the channel now and report what its endpoint answered',
          params: idParams,
          response: {
            200: {
              type: 'object',
              required: ['delivered', 'statusCode', 'error', 'sentAt', 'eventId'],
              properties: {
                delivered: { type: 'boolean' },
                statusCode: { type: ['integer', 'null'] },
                error: { type: ['string', 'null'] },
                sentAt: { type: 'number' },
                eventId: { type: 'string' },
              },
            },
          },
        },
      },
      (req) => svc.testChannel(req.params.id, req.principal?.name ?? req.principal?.id ?? 'unknown'),
    );
    api.delete<{ Params: { id: string } }>(
      '/notification-channels/:id',
      {
        config: { action: 'notification_channel.delete' },
        schema: { tags, params: idParams, response: { 204: { type: 'null' } } },
      },
      async (req, reply) => {
        await svc.deleteChannel(req.params.id);
        return reply.status(204).send();
      },
    );
    api.get(
      '/notification-routes',
      { schema: { tags, response: { 200: { type: 'array', items: route } } } },
      () => svc.listRoutes(),
    );
    api.post<{ Body: RouteInput }>(
      '/notification-routes',
      {
        config: { action: 'notification_route.create' },
        schema: {
          tags,
          summary: 'Send matching events to channels',
          body: routeBody,
          response: { 201: route },
        },
      },
      async (req, reply) => reply.status(201).send(await svc.createRoute(req.body)),
    );
    api.get<{ Params: { id: string } }>(
      '/notification-routes/:id',
      { schema: { tags, params: idParams, response: { 200: route } } },
      (req) => svc.getRoute(req.params.id),
    );
    api.put<{ Params: { id: string }; Body: RouteInput }>(
      '/notification-routes/:id',
      {
        config: { action: 'notification_route.update' },
        schema: { tags, params: idParams, body: routeBody, response: { 200: route } },
      },
      (req) => svc.updateRoute(req.params.id, req.body),
    );
    api.delete<{ Params: { id: string } }>(
      '/notification-routes/:id',
      {
        config: { action: 'notification_route.delete' },
        schema: { tags, params: idParams, response: { 204: { type: 'null' } } },
      },
      async (req, reply) => {
        await svc.deleteRoute(req.params.id);
        return reply.status(204).send();
      },
    );
    api.get<{
      Querystring: { status?: NotificationStatus; channelId?: string; before?: number; limit: number };
    }>(
      '/notifications',
      {
        schema: {
          tags,
          summary: 'Delivery log, newest first (page with before=<createdAt of the last row>)',
          querystring: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: STATUSES },
              channelId: { type: 'string' },
              before: { type: 'number' },
              ...paging({ max: 500, default: 50, offset: false }),
            },
          },
          response: { 200: { type: 'array', items: notification } },
        },
      },
      (req) => svc.listNotifications(req.query),
    );
    api.get<{ Params: { id: string }; Querystring: { limit: number } }>(
      '/notifications/:id',
      {
        schema: {
          tags,
          summary: 'One notification with its full list of items',
          params: idParams,
          querystring: {
            type: 'object',
            properties: paging({ max: 100_000, default: 10_000, offset: false }),
          },
          response: {
            200: {
              ...notification,
              properties: { ...notification.properties, items: { type: 'array', items: item } },
            },
          },
        },
      },
      (req) => svc.getNotification(req.params.id, req.query.limit),
    );
    api.post<{ Params: { id: string } }>(
      '/notifications/:id/retry',
      {
        config: { action: 'notification.retry' },
        schema: {
          tags,
          summary: 'Queue a failed notification again',
          params: idParams,
          response: { 200: notification },
        },
      },
      (req) => svc.retry(req.params.id),
    );
  };
}
