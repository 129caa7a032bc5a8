/**
 * The registry's error catalogue: stable codes, message templates and HTTP status. Validation
 * errors name the request field (`field`), e.g. `devices[3].id` in a YAML import.
 */
import { defineError } from '../core/index.js';

export const RegistryErrors = {
  invalid: defineError(
    'VALIDATION_FAILED',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  deviceNotFound: defineError('DEVICE_NOT_FOUND', 404, (id: string) => `device "${id}" not found`),
  deviceExists: defineError('DEVICE_EXISTS', 409, (id: string) => `device "${id}" already exists`),
  modelNotFound: defineError('MODEL_NOT_FOUND', 404, (name: string) => `device model "${name}" not found`),
  modelExists: defineError('MODEL_EXISTS', 409, (name: string) => `device model "${name}" already exists`),
  modelInUse: defineError(
    'MODEL_IN_USE',
    409,
    (name: string, count: number) =>
      `device model "${name}" is used by ${count} device(s); move or delete them first`,
  ),
  credentialNotFound: defineError(
    'CREDENTIAL_NOT_FOUND',
    404,
    (id: string) => `credential "${id}" not found for this device`,
  ),
  credentialRevoked: defineError(
    'CREDENTIAL_REVOKED',
    409,
    (id: string) => `credential "${id}" is revoked and cannot be rotated`,
  ),
  fingerprintTaken: defineError(
    'FINGERPRINT_REGISTERED',
    409,
    (fp: string) => `certificate fingerprint ${fp} is already registered`,
  ),
  tokenNotFound: defineError('TOKEN_NOT_FOUND', 404, (id: string) => `token "${id}" not found`),
  badYaml: defineError(
    'IMPORT_INVALID',
    422,
    (why: string) => `import: ${why}`,
    () => 'body',
  ),
  unsupportedMedia: defineError(
    'UNSUPPORTED_MEDIA_TYPE',
    415,
    (type: string) => `expected application/yaml or text/yaml, got ${type}`,
  ),
};
