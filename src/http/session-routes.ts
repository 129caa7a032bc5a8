/**
 * Routes the console needs that belong to no single module: who am I (`GET /me`) and the live
 * event stream (`GET /stream`, server-sent events of fleet changes for live pages; a customer's
 * stream carries only its devices' events).
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
        const send = (name: EventName, payload: unknown): void => {
          if (res.writableLength > MAX_BUFFERED) {
            res.destroy();
            return;
          }
          res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
        };
        // A customer's stream carries only events about the customer's devices (checked per event,
        // so a device assigned later shows up); events about no device (SLO alerts) are not sent.
        // The checks are chained so events keep their order.
        const owns = req.principal?.customer !== undefined ? req.principal.owns : undefined;
        let chain = Promise.resolve();
        const offs = STREAMED.map((name) =>
          bus.on(name, (payload) => {
            if (req.principal?.customer === undefined) return send(name, payload);
            const deviceId = (payload as { deviceId?: unknown }).deviceId;
            if (typeof deviceId !== 'string' || !owns) return;
            chain = chain
              .then(async () => {
                if (!res.destroyed && (await owns(deviceId))) send(name, payload);
              })
              .catch(() => {
                res.destroy();
              });
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
