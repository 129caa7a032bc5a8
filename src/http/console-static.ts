/**
 * Serves the built web console (src/console/dist) at `/`. Client-side routes (`/devices/…`, `/slos/…`)
 * return index.html so deep links and reloads work. When the console has not been built, `/` says
 * how to build it instead of failing.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Works from src/http (tsx) and from dist/http (compiled): both sit two levels below the package root. */
export const CONSOLE_DIST = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'src',
  'console',
  'dist',
);

const CLIENT_ROUTES = ['/devices', '/devices/*', '/map', '/slos', '/slos/*', '/notifications', '/audit'];

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
  for (const path of CLIENT_ROUTES)
    app.get(path, { config: { public: true } }, (_req, reply) =>
      reply.header('cache-control', 'no-cache').sendFile('index.html'),
    );
}
