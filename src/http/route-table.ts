/**
 * Every route the server holds, as registered (method, URL, config, schema): the audit action
 * check and the hostile-input test walk it instead of guessing routes from the OpenAPI document.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
  config: RouteOptions['config'];
  schema: RouteOptions['schema'];
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

export function recordRoutes(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method])
      table.push({ method, url: r.url, config: r.config, schema: r.schema });
  });
}
