/** JSON decoder: a path mapping over `JSON.parse(payload)`. */
import type { Decoder, DecoderDefinition } from '../types.js';
import { compileMapping, parseJson } from './mapping.js';

export function compileJson(def: DecoderDefinition): Decoder {
  const mapping = compileMapping(def.spec, 'spec');
  return {
    definition: def,
    decode(payload) {
      const parsed = parseJson(payload);
      if (!parsed.ok) return parsed;
      const r = mapping.apply(parsed.value);
      return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, values: r };
    },
  };
}
