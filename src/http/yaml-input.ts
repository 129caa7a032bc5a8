/**
 * The one way an API route reads YAML (device models, decoders, SLOs): size-capped, aliases capped
 * (a "billion laughs" document expands 9 aliases into 10⁹ nodes), nesting capped, and every
 * failure a 4xx naming the document — never a parser exception turned 500.
 */
import type { FastifyInstance } from 'fastify';
import { parseAllDocuments } from 'yaml';
import { defineError } from '../core/index.js';
import { HttpErrors } from './errors.js';

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
/** Largest YAML body: far above any fleet's definitions file, far below what exhausts memory. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Alias references resolved per document (the `yaml` library's own default, now explicit). */
export const MAX_YAML_ALIASES = 100;
export const MAX_YAML_DEPTH = 64;
export const MAX_YAML_DOCUMENTS = 1000;

export const YamlErrors = {
  invalid: defineError(
    'IMPORT_INVALID',
    422,
    (where: string, why: string) => `${where}: ${why}`,
    () => 'body',
  ),
};

function depthOf(v: unknown, depth = 0): number {
  if (v === null || typeof v !== 'object' || depth > MAX_YAML_DEPTH) return depth;
  let max = depth;
  for (const x of v instanceof Map ? v.values() : Object.values(v))
    max = Math.max(max, depthOf(x, depth + 1));
  return max;
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Parse every `---` document of `text` into plain values (empty documents are skipped). */
export function parseYamlDocuments(text: string): unknown[] {
  if (Buffer.byteLength(text) > MAX_YAML_BYTES)
    throw HttpErrors.payloadTooLarge(`YAML body is larger than ${MAX_YAML_BYTES} bytes`);
  const out: unknown[] = [];
  let docs;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true });
  } catch (err) {
    throw YamlErrors.invalid('YAML', firstLine(err)); // e.g. the stack overflow of 50,000 nested "["
  }
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > MAX_YAML_DOCUMENTS)
    throw YamlErrors.invalid('YAML', `more than ${MAX_YAML_DOCUMENTS} documents`);
  for (const [i, doc] of list.entries()) {
    const where = list.length > 1 ? `YAML document ${i + 1}` : 'YAML';
    if (doc.errors.length > 0) throw YamlErrors.invalid(where, firstLine(doc.errors[0]));
    let v: unknown;
    try {
      v = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (err) {
      throw YamlErrors.invalid(where, firstLine(err)); // "Excessive alias count …"
    }
    if (depthOf(v) > MAX_YAML_DEPTH)
      throw YamlErrors.invalid(where, `nested deeper than ${MAX_YAML_DEPTH} levels`);
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

/** One document (or null when the text holds none); more than one is an error. */
export function parseYaml(text: string): unknown {
  const docs = parseYamlDocuments(text);
  if (docs.length > 1) throw YamlErrors.invalid('YAML', 'expected one document, got ' + docs.length);
  return docs[0] ?? null;
}

/**
 * Accept YAML bodies on this scope as text, checked by `parseYamlDocuments` before the handler
 * runs, so every import route refuses a hostile document the same way.
 */
export function acceptYamlBodies(api: FastifyInstance, types: string[] = YAML_TYPES): void {
  api.addContentTypeParser(types, { parseAs: 'string', bodyLimit: MAX_YAML_BYTES }, (_req, body, done) => {
    try {
      parseYamlDocuments(body as string);
      done(null, body);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
