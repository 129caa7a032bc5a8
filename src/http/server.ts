/**
 * The Fastify server: health, metrics, the authenticated `/api/v1` scope every module adds its
 * routes to, and (from `mqtt/`) MQTT over WebSocket at `/mqtt`. Holds no business logic.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { CoreErrors, type Logger, type TsunaguEvents } from '../core/index.js';
import { FailureLimiter } from './auth-limiter.js';
import { consolePageFallback } from './console-static.js';
import { hasRole, type AccessCheck, type Role, type TokenVerifier } from './auth.js';
import { registerBodyGuards } from './body-guards.js';
import { clientErrorHandler, errorHandler, frameworkErrorHandler, HttpErrors } from './errors.js';
import { redact } from './redact.js';
import { recordRoutes } from './route-table.js';
import { observeRequests } from './request-observer.js';

export type RoutePlugin = (api: FastifyInstance) => void | Promise<void>;

/** A module's routes, and whether the module writes its own audit entries (with before/after). */
export interface ApiPlugin {
  routes: RoutePlugin;
  auditsItself?: boolean;
}

/** Resolves once the entry is durable; a rejection fails the request (its error is the response). */
export type AuditSink = (entry: TsunaguEvents['audit']) => void | Promise<void>;

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export { redact };

export interface HttpOptions {
  log: Logger;
  metrics: Registry;
  tokens: TokenVerifier;
  /** Readiness: resolve true when storage and broker are up. */
  ready: () => boolean;
  /** Extra facts for /readyz (a cluster node's membership, leases and connectivity). */
  readiness?: () => Record<string, unknown>;
  /** Extra work before /metrics renders (e.g. refresh gauges). */
  beforeMetrics?: () => void;
  bodyLimit?: number;
}

/** Failed-auth rate limiting per remote address: at most N failures per minute. */
const AUTH_FAILURES_PER_MINUTE = 30;
/** Longest path parameter (device ids are at most 128 bytes, percent-encoded up to 3× that). */
const MAX_PARAM_LENGTH = 512;

export function createHttpServer(opts: HttpOptions): FastifyInstance {
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- pino's Logger and FastifyBaseLogger differ in tsc's view
    loggerInstance: opts.log.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request log lines would drown the broker's; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Long-lived responses (the console's event stream) must not hold up shutdown.
    forceCloseConnections: true,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Bad URLs and over-long path parameters answer with the platform's error body too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    ajv: {
      customOptions: {
        allErrors: false,
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allowUnionTypes: true, // `type: ['string', 'null']` in route schemas
      },
    },
  });
  app.setErrorHandler(errorHandler);
  const consolePage = consolePageFallback();
  app.setNotFoundHandler((req, reply) => {
    if (consolePage(req, reply)) return reply;
    throw HttpErrors.routeNotFound(req.method, req.url.split('?')[0]!);
  });
  recordRoutes(app);
  observeRequests(app, opts.metrics);
  registerBodyGuards(app);

  app.get('/healthz', { config: { public: true } }, () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, (_req, reply) => {
    const extra = opts.readiness?.() ?? {};
    if (opts.ready()) return { status: 'ready', ...extra };
    return reply.status(503).send({ status: 'starting', ...extra });
  });
  app.get('/metrics', { config: { public: true } }, async (_req, reply) => {
    opts.beforeMetrics?.();
    const text = await opts.metrics.metrics();
    return reply.header('content-type', opts.metrics.contentType).send(text);
  });
  return app;
}

/**
 * OpenAPI 3 from the route schemas: registered before any API route so @fastify/swagger sees them
 * all; the document is public at /api/v1/openapi.json and rendered at /api/docs.
 */
async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tsunagu API',
        version: '1',
        description: 'IoT fleet platform: registry, shadows, commands, telemetry, health, SLOs.',
      },
      servers: [{ url: '/' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    hideUntagged: false,
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: true,
  });
}

/**
 * Bearer tokens only, role from `config.role`: the access check for harnesses that have no `auth/`
 * module (the platform passes `auth/`'s check, which adds sessions and customers).
 */
export function bearerAccess(tokens: TokenVerifier): AccessCheck {
  const failures = new FailureLimiter(AUTH_FAILURES_PER_MINUTE, 60_000);
  return async (req, reply) => {
    const cfg = req.routeOptions.config;
    // The token first: a valid one is never refused for its address's failures.
    const header = req.headers.authorization;
    const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const principal = secret ? await tokens.verify(secret) : undefined;
    if (!principal) {
      const wait = failures.fail(req.ip);
      if (wait !== undefined) {
        void reply.header('retry-after', String(wait));
        throw CoreErrors.rateLimited('too many failed authentications from this address; wait a minute');
      }
      throw CoreErrors.unauthorized(
        secret ? 'invalid or expired token' : 'missing Authorization: Bearer <token>',
      );
    }
    const needed: Role = cfg.role ?? (req.method === 'GET' || req.method === 'HEAD' ? 'viewer' : 'operator');
    if (!hasRole(principal, needed))
      throw CoreErrors.forbidden(`this needs the ${needed} role; token has ${principal.role}`);
    req.principal = principal;
  };
}

/** Register the authenticated API scope under /api/v1 with every module's route plugin. */
export async function registerApi(
  app: FastifyInstance,
  access: TokenVerifier | AccessCheck,
  plugins: (RoutePlugin | ApiPlugin)[],
  audit?: AuditSink,
): Promise<void> {
  const check = typeof access === 'function' ? access : bearerAccess(access);
  await registerOpenApi(app);
  await app.register(
    async (api) => {
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());
      api.addHook('onRequest', async (req, reply) => {
        if (req.routeOptions.config.public) return;
        await check(req, reply);
      });
      const afterBody = typeof access === 'function' ? access.afterBody : undefined;
      if (afterBody)
        api.addHook('preHandler', async (req) => {
          if (!req.routeOptions.config.public) await afterBody(req);
        });
      for (const p of plugins) {
        const { routes, auditsItself } = typeof p === 'function' ? { routes: p, auditsItself: false } : p;
        await api.register(async (scope) => {
          // Every change made through the API is audited: modules without their own before/after
          // entries get one per successful mutating request (who, what, when, the request). It is
          // written before the response is sent, so a change is never acknowledged unaudited.
          if (audit && !auditsItself)
            scope.addHook('onSend', async (req, reply, payload) => {
              if (!MUTATING.has(req.method) || reply.statusCode >= 400 || !req.principal) return payload;
              await audit({
                at: Date.now(),
                actor: {
                  kind: req.principal.kind ?? 'token',
                  id: req.principal.id,
                  name: req.principal.name,
                },
                action: req.routeOptions.config.action ?? `${req.method} ${req.routeOptions.url ?? req.url}`,
                resource: req.url.split('?')[0]!.replace(/^\/api\/v1\//, ''),
                after: redact(req.body, req.routeOptions.schema?.body),
              });
              return payload;
            });
          await routes(scope);
        });
      }
    },
    { prefix: '/api/v1' },
  );
}
