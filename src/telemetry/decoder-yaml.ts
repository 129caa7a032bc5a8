/**
 * Decoder definitions as YAML documents users keep in git: one definition per document, several
 * documents separated by `---` in one file (import), or the whole set (export).
 */
import { stringify } from 'yaml';
import { parseYamlDocuments } from '../http/index.js';
import { validateDefinition } from './decoders/index.js';
import type { DecoderDefinition } from './types.js';

export function parseDecodersYaml(text: string): DecoderDefinition[] {
  const out: DecoderDefinition[] = [];
  for (const v of parseYamlDocuments(text)) {
    const list = Array.isArray(v) ? v : [v];
    for (const d of list) out.push(validateDefinition(d));
  }
  return out;
}

export function toDecodersYaml(defs: readonly DecoderDefinition[]): string {
  return defs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
