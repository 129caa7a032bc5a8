/** The commands error catalogue (code, HTTP status, message). */
import { defineError, TsunaguError } from '../core/index.js';

export const CommandErrors = {
  deviceNotFound: defineError('COMMAND_DEVICE_NOT_FOUND', 404, (id: string) => `device ${id} not found`),
  notFound: defineError('COMMAND_NOT_FOUND', 404, (id: string) => `command ${id} not found`),
  invalid: defineError(
    'COMMAND_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  /** The model's (or the platform's) out-of-service policy is `refuse`. */
  outOfService: (id: string, reasons: readonly string[]): TsunaguError =>
    new TsunaguError(
      'DEVICE_OUT_OF_SERVICE',
      `device ${id} is out of service (${reasons.join(', ') || 'no reason recorded'}); its policy refuses commands`,
      409,
      { details: { reasons: [...reasons] } },
    ),
};
