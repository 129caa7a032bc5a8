/** The commands error catalogue (code, HTTP status, message). */
import { defineError } from '../core/index.js';

export const CommandErrors = {
  deviceNotFound: defineError('COMMAND_DEVICE_NOT_FOUND', 404, (id: string) => `device ${id} not found`),
  notFound: defineError('COMMAND_NOT_FOUND', 404, (id: string) => `command ${id} not found`),
  invalid: defineError(
    'COMMAND_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
};
