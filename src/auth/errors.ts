/** The auth module's error catalogue (one HTTP mapping in http/errors.ts via `statusCode`). */
import { defineError } from '../core/index.js';

export const AuthErrors = {
  invalid: defineError(
    'VALIDATION_FAILED',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (f) => f,
  ),
  tokenNotFound: defineError('TOKEN_NOT_FOUND', 404, (id: string) => `token ${id} not found`),
  userNotFound: defineError('USER_NOT_FOUND', 404, (id: string) => `user ${id} not found`),
  customerNotFound: defineError('CUSTOMER_NOT_FOUND', 404, (id: string) => `customer ${id} not found`),
  /** What a customer gets for another customer's device: the same answer as for a missing one. */
  deviceNotFound: defineError('DEVICE_NOT_FOUND', 404, (id: string) => `device ${id} not found`),
  conflict: defineError('CONFLICT', 409, (why: string) => why),
  unauthorized: defineError('UNAUTHORIZED', 401, (why: string) => why),
  /** One message for unknown user, wrong password and disabled user: no account enumeration. */
  badCredentials: defineError('BAD_CREDENTIALS', 401, () => 'wrong e-mail or password'),
  forbidden: defineError('FORBIDDEN', 403, (why: string) => why),
  csrf: defineError(
    'CSRF_TOKEN_MISSING',
    403,
    () => 'a signed-in browser request that changes state needs the X-CSRF-Token header of its session',
  ),
  rateLimited: defineError('RATE_LIMITED', 429, (why: string) => why),
  oidcOff: defineError('OIDC_NOT_CONFIGURED', 404, () => 'single sign-on is not configured (--oidc-issuer)'),
  oidcFailed: defineError('OIDC_SIGN_IN_FAILED', 401, (why: string) => `single sign-on failed: ${why}`),
};
