/**
 * Serves the built web console (src/console/dist) at `/`. Any other page a browser asks for (a GET
 * that accepts HTML, outside `/api/`) returns index.html, so deep links and reloads work for every
 * console page and an unknown address shows the console's own "not found" page instead of raw JSON;
 * API clients keep the JSON 404. When the console has not been built, `/` says how to build it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Works from src/http (tsx) and from dist/http (compiled): both sit two levels below the package root. */
export const CONSOLE_DIST = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'src',
  'console',
  'dist',
);

/** Paths that are never console pages: a miss there stays the API's JSON 404. */
const NOT_PAGES = /^\/(api|mqtt|metrics|healthz|readyz|assets)(\/|$)/;

/**
 * For the HTTP server's not-found handler: answers a browser's page request with the console
 * (true), or leaves the request to the JSON 404 (false).
 */
export type ConsoleFallback = (req: FastifyRequest, reply: FastifyReply) => boolean;

export function consolePageFallback(): ConsoleFallback {
  return (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const r = reply as FastifyReply & { sendFile?: (file: string) => FastifyReply };
    if (req.method !== 'GET' || NOT_PAGES.test(path) || typeof r.sendFile !== 'function') return false;
    if (!(req.headers.accept ?? '').includes('text/html')) return false;
    void r.header('cache-control', 'no-cache').sendFile('index.html');
    return true;
  };
}

export async function registerConsole(app: FastifyInstance, dir = CONSOLE_DIST): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { config: { public: true } }, (_req, reply) =>
      reply
        .type('text/plain')
        .send('The web console is not built. Run `npm run build:console` (npm start does it for you).\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: 'index.html',
    wildcard: false,
    maxAge: '1h',
  });
}
