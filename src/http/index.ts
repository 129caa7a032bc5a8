/**
 * The public face of `src/http` (ARCHITECTURE.md): the Fastify server, error mapping, paging and
 * YAML helpers, redaction and the principal types modules use in their routes.
 */
export * from './auth.js';
export * from './errors.js';
export * from './paging.js';
export * from './redact.js';
export * from './yaml-input.js';
export { bearerAccess, createHttpServer, registerApi } from './server.js';
export { CONSOLE_DIST, registerConsole } from './console-static.js';
export { sessionRoutes } from './session-routes.js';
export { requestContext } from './request-observer.js';
export type * from './server.js';
