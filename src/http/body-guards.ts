/**
 * Input guards every route gets from the server, so that no module has to remember them:
 * - JSON bodies nested deeper than `MAX_JSON_DEPTH` are refused before `JSON.parse` (a 50,000-deep
 *   array parses fine, then overflows the stack of whatever walks it: validation, diffing, storage);
 * - numbers that are not finite (`Infinity` from `?limit=Infinity` or `1e309`, which ajv's type
 *   coercion lets through and which then skip `maximum`) are refused after validation.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpErrors } from './errors.js';

/** Deep enough for any document the platform stores (AWS caps shadow documents at 8 levels). */
export const MAX_JSON_DEPTH = 64;

/** True when the JSON text opens more than `max` nested arrays/objects (strings are skipped). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Path of the first non-finite number in a parsed value (query, params or body), if any. */
export function nonFiniteAt(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== 'object' || depth > MAX_JSON_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = nonFiniteAt(value[i], `${path}[${i}]`, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const hit = nonFiniteAt(v, `${path}.${k}`, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

function checkFinite(req: FastifyRequest): void {
  const hit =
    nonFiniteAt(req.query, 'querystring') ??
    nonFiniteAt(req.params, 'params') ??
    nonFiniteAt(req.body, 'body');
  if (hit) throw HttpErrors.notFinite(hit);
}

export function registerBodyGuards(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(HttpErrors.tooDeep(MAX_JSON_DEPTH), undefined);
      return;
    }
    void parseJson(req, text, done);
  });
  app.addHook('preHandler', async (req) => checkFinite(req));
}
