/**
 * Protobuf decoder: the `.proto` text uploaded with the decoder is parsed once (protobufjs `parse`),
 * the message type looked up, and each payload decoded to a plain object (longs as numbers, enums as
 * names) on which the same path mapping as JSON runs.
 */
import protobuf from 'protobufjs';
import type { Decoder, DecoderDefinition } from '../types.js';
import { compileMapping } from './mapping.js';
import { fail, str } from './spec.js';

export function compileProtobuf(def: DecoderDefinition): Decoder {
  const proto = str(def.spec.proto, 'spec.proto');
  const typeName = str(def.spec.messageType, 'spec.messageType');
  let type: protobuf.Type;
  try {
    type = protobuf.parse(proto, { keepCase: true }).root.lookupType(typeName);
  } catch (err) {
    return fail('spec.proto', `cannot use message type ${typeName}: ${(err as Error).message}`);
  }
  const mapping = compileMapping(def.spec, 'spec');
  return {
    definition: def,
    decode(payload) {
      let obj: Record<string, unknown>;
      try {
        obj = type.toObject(type.decode(payload), {
          longs: Number,
          enums: String,
          bytes: String,
          defaults: true,
        });
      } catch (err) {
        return { ok: false, reason: `protobuf ${typeName}: ${(err as Error).message}` };
      }
      const r = mapping.apply(obj);
      return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, values: r };
    },
  };
}
