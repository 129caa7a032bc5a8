/**
 * Routes the console needs that belong to no single module: who am I (`GET /me`) and the live
 * event stream (`GET /stream`, server-sent events of fleet changes for live pages).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { EventBus, EventName } from '../core/index.js';

/** Bus events forwarded to browsers. High-rate events (telemetry, messages) are not streamed. */
const STREAMED: EventName[] = [
  'device.connected',
  'device.disconnected',
  'device.changed',
  'service-state.changed',
  'shadow.updated',
  'command.finished',
  'slo.alert',
];

/** Per-connection cap on buffered SSE bytes: a stalled browser is dropped, not buffered forever. */
const MAX_BUFFERED = 1024 * 1024;

export function sessionRoutes(bus: EventBus) {
  return (api: FastifyInstance): void => {
    // Open streams never end on their own; without this, app.close() waits for every browser tab.
    const open = new Set<ServerResponse>();
    api.addHook('preClose', (done) => {
      for (const res of open) res.end();
      open.clear();
      done();
    });

    api.get(
      '/me',
      {
        schema: {
          summary: 'The principal behind the presented token',
          response: {
            200: {
              type: 'object',
              properties: { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
              required: ['id', 'name', 'role'],
            },
          },
        },
      },
      (req) => req.principal,
    );

    api.get(
      '/stream',
      {
        schema: {
          summary: 'Server-sent events: device connectivity, service state, shadows, commands, SLO alerts',
        },
      },
      (req, reply) => {
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(': connected\n\n');
        open.add(res);
        const offs = STREAMED.map((name) =>
          bus.on(name, (payload) => {
            if (res.writableLength > MAX_BUFFERED) {
              res.destroy();
              return;
            }
            res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
          }),
        );
        const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
        ping.unref();
        req.raw.on('close', () => {
          open.delete(res);
          clearInterval(ping);
          for (const off of offs) off();
        });
      },
    );
  };
}
