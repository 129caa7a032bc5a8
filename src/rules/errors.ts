/** The rules module's error catalogue. */
import { defineError } from '../core/index.js';

export const RulesErrors = {
  notFound: defineError('RULE_NOT_FOUND', 404, (name: string) => `rule ${name} not found`),
  exists: defineError('RULE_EXISTS', 409, (name: string) => `rule ${name} already exists`),
  invalid: defineError(
    'RULE_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  limit: defineError(
    'RULE_LIMIT',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
};
