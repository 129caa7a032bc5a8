/** The slo module's error catalogue (code, HTTP status, message). */
import { defineError } from '../core/index.js';

export const SloErrors = {
  notFound: defineError('SLO_NOT_FOUND', 404, (name: string) => `SLO ${name} not found`),
  exists: defineError('SLO_EXISTS', 409, (name: string) => `SLO ${name} already exists`),
  /** Bad input: `field` is the path of the offending field (`spec.objectives[0].target`). */
  invalid: defineError(
    'SLO_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
};
