/**
 * Decoder definitions as YAML documents users keep in git: one definition per document, several
 * documents separated by `---` in one file (import), or the whole set (export).
 */
import { parseAllDocuments, stringify } from 'yaml';
import { TelemetryErrors } from './errors.js';
import { validateDefinition } from './decoders/index.js';
import type { DecoderDefinition } from './types.js';

export function parseDecodersYaml(text: string): DecoderDefinition[] {
  const docs = parseAllDocuments(text);
  const out: DecoderDefinition[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) throw TelemetryErrors.invalidDecoder(`yaml[${i}]`, doc.errors[0]!.message);
    const v: unknown = doc.toJS();
    if (v === null || v === undefined) continue;
    const list = Array.isArray(v) ? v : [v];
    for (const d of list) out.push(validateDefinition(d));
  }
  return out;
}

export function toDecodersYaml(defs: readonly DecoderDefinition[]): string {
  return defs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
