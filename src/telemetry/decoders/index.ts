/**
 * Decoder definitions → compiled decoders, dispatched on `type`. Compilation validates the whole
 * spec and throws `DECODER_INVALID` naming the field; a compiled decoder never throws.
 */
import type { Decoder, DecoderDefinition } from '../types.js';
import { compileCsv } from './csv.js';
import { compileJson } from './json.js';
import { compileProtobuf } from './protobuf.js';
import { fail, isObj, oneOf, str } from './spec.js';

export { decodeDefaultEvent, decodeDefaultTelemetry } from './default.js';
export { compileChecksum, crc16Ccitt, crc16Modbus, sum8, xor8 } from './checksum.js';
export { catalogueCrc, makeCrc, type CrcParams } from './crc.js';

const COMPILERS = { json: compileJson, csv: compileCsv, protobuf: compileProtobuf } as const;

/** Check the envelope (id, name, type, spec) and return a clean definition. */
export function validateDefinition(input: unknown): DecoderDefinition {
  if (!isObj(input)) return fail('decoder', 'must be an object');
  const id = str(input.id, 'id');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id))
    fail('id', 'must be 1-64 letters, digits, _ . - (starting with a letter or digit)');
  const def: DecoderDefinition = {
    id,
    name: input.name === undefined ? id : str(input.name, 'name'),
    type: oneOf(input.type, 'type', ['json', 'csv', 'protobuf'] as const),
    spec: isObj(input.spec) ? input.spec : fail('spec', 'must be an object'),
  };
  if (typeof input.description === 'string') def.description = input.description;
  return def;
}

export function compileDecoder(input: unknown): Decoder {
  const def = validateDefinition(input);
  const inner = COMPILERS[def.type](def);
  return {
    definition: def,
    decode(payload) {
      try {
        const r = inner.decode(payload);
        if (r.ok && r.values.metrics.some((m) => !Number.isFinite(m.value)))
          r.values.metrics = r.values.metrics.filter((m) => Number.isFinite(m.value)); // scale overflow → absent
        return r;
      } catch (err) {
        // Defence in depth: a decoder bug must cost one message (kept as decode_error), not the process.
        return { ok: false, reason: `decoder failed: ${(err as Error).message}` };
      }
    },
  };
}
