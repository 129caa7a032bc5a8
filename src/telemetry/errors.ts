/** The telemetry module's error catalogue (code, HTTP status, message). */
import { defineError } from '../core/index.js';

export const TelemetryErrors = {
  decoderNotFound: defineError('DECODER_NOT_FOUND', 404, (id: string) => `decoder ${id} not found`),
  decoderExists: defineError('DECODER_EXISTS', 409, (id: string) => `decoder ${id} already exists`),
  invalidDecoder: defineError(
    'DECODER_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  invalidQuery: defineError(
    'TELEMETRY_QUERY_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  overloaded: defineError('TELEMETRY_OVERLOADED', 503, () => 'telemetry ingest queue is full; retry later'),
};
