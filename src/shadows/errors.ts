/**
 * The shadows error catalogue. Shadow request errors carry the AWS IoT code and message
 * (AWS IoT Developer Guide, "Device Shadow error messages"): over MQTT they become the
 * `{code, message}` body on `…/rejected`; over HTTP the same status and message.
 */
import { defineError } from '../core/index.js';

export const ShadowErrors = {
  // AWS shadow errors: 400 (Bad Request)
  invalidJson: defineError('SHADOW_INVALID_JSON', 400, () => 'Invalid JSON'),
  missingState: defineError('SHADOW_MISSING_STATE', 400, () => 'Missing required node: state'),
  stateNotObject: defineError('SHADOW_INVALID_STATE', 400, () => 'State node must be an object'),
  desiredNotObject: defineError('SHADOW_INVALID_DESIRED', 400, () => 'Desired node must be an object'),
  reportedNotObject: defineError('SHADOW_INVALID_REPORTED', 400, () => 'Reported node must be an object'),
  invalidVersion: defineError('SHADOW_INVALID_VERSION', 400, () => 'Invalid version'),
  invalidClientToken: defineError('SHADOW_INVALID_CLIENT_TOKEN', 400, () => 'Invalid clientToken'),
  tooDeep: defineError(
    'SHADOW_TOO_DEEP',
    400,
    (max: number) => `JSON contains too many levels of nesting; maximum is ${max}`,
  ),
  invalidNode: defineError('SHADOW_INVALID_NODE', 400, () => 'State contains an invalid node'),
  invalidTime: defineError(
    'SHADOW_INVALID_TIME',
    400,
    (field: string) => `${field}: expected epoch milliseconds or an ISO 8601 time`,
    (field) => field,
  ),
  invalidName: defineError('SHADOW_INVALID_NAME', 400, (name: string) => `Invalid shadow name: '${name}'`),
  // 403
  forbidden: defineError('SHADOW_FORBIDDEN', 403, () => 'Forbidden'),
  // 404
  noShadow: defineError('SHADOW_NOT_FOUND', 404, (name: string) => `No shadow exists with name: '${name}'`),
  thingNotFound: defineError('SHADOW_THING_NOT_FOUND', 404, () => 'Thing not found'),
  versionNotFound: defineError(
    'SHADOW_VERSION_NOT_FOUND',
    404,
    (version: number) => `No history entry for version ${version}`,
  ),
  // 409
  versionConflict: defineError('SHADOW_VERSION_CONFLICT', 409, () => 'Version conflict'),
  // 413
  tooLarge: defineError('SHADOW_TOO_LARGE', 413, () => 'The payload exceeds the maximum size allowed'),
  // 500
  internal: defineError('SHADOW_INTERNAL', 500, () => 'Internal service failure'),
};
