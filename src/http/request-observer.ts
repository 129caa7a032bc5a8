/**
 * One span and one histogram observation per HTTP request (docs/observability.md). The span is a
 * SERVER span named by method and route template (never the raw URL: ids would make every name
 * unique), joins the caller's trace when the request carries `traceparent`, and is the active span
 * while the handler runs, so module spans (a command, a shadow update) nest under it.
 * Scrapes and probes are not traced: a Prometheus scrape every 15 s would bury the traces that matter.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import {
  activeContext,
  type Context,
  contextOf,
  extractContext,
  inContextSync,
  type Span,
  SpanKind,
  SpanStatusCode,
  startSpan,
} from '../core/index.js';

const UNTRACED = new Set(['/metrics', '/healthz', '/readyz']);

const contexts = new WeakMap<FastifyRequest, Context>();

/**
 * The trace context of a request (its SERVER span), for a route that starts a span after an
 * await: an unsampled request's context does not follow awaits (core/tracing-context.ts), so the
 * route hands it on explicitly. Untraced routes and tracing off: the active context.
 */
export function requestContext(req: FastifyRequest): Context {
  return contexts.get(req) ?? activeContext();
}

export function observeRequests(app: FastifyInstance, metrics: Registry): void {
  const duration = new Histogram({
    name: 'tsunagu_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status class',
    labelNames: ['method', 'route', 'status_class'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [metrics],
  });
  const spans = new WeakMap<FastifyRequest, { span?: Span; start: bigint }>();
  // Every handler runs in its request's trace for its synchronous start only, sampled or not; what
  // it starts after an await takes `requestContext(req)`. A sampled context that followed the
  // handler's awaits would keep Node's async hooks on for the whole process while the request is in
  // flight: a command with `wait: true` holds it for its round trip to the device, and at a 1% sample
  // ratio such requests overlap, so every request and message paid the hooks (core/tracing-context.ts).
  app.addHook('onRoute', (r) => {
    const handler = r.handler;
    r.handler = function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      return inContextSync(requestContext(req), () => handler.call(this, req, reply));
    };
  });
  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url;
    const start = process.hrtime.bigint();
    if (route !== undefined && UNTRACED.has(route)) {
      spans.set(req, { start });
      done();
      return;
    }
    const parent = extractContext(req.headers);
    const span = startSpan(`${req.method} ${route ?? 'unmatched'}`, {
      kind: SpanKind.SERVER,
      parent,
      // Built only for a sampled request (core/tracing.ts startSpan).
      attributes: () => ({
        'http.request.method': req.method,
        'http.route': route ?? 'unmatched',
        'url.path': req.url.split('?')[0]!,
      }),
    });
    spans.set(req, { span, start });
    const ctx = contextOf(span, parent);
    contexts.set(req, ctx);
    inContextSync(ctx, done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const seen = spans.get(req);
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    if (seen) {
      duration.observe(
        { method: req.method, route, status_class: `${Math.floor(status / 100)}xx` },
        Number(process.hrtime.bigint() - seen.start) / 1e9,
      );
      if (seen.span) {
        seen.span.setAttribute('http.response.status_code', status);
        // OTel HTTP conventions: a 4xx is the client's error, not the server span's.
        if (status >= 500) seen.span.setStatus({ code: SpanStatusCode.ERROR });
        seen.span.end();
      }
    }
    done();
  });
}
