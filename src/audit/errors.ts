/** The audit module's error catalogue. */
import { defineError } from '../core/index.js';

export const AuditErrors = {
  /**
   * The change was made but its audit entry is not yet durable: the entry is kept and retried, and
   * the request fails so that no change is ever acknowledged unaudited.
   */
  unavailable: defineError(
    'AUDIT_UNAVAILABLE',
    503,
    (why: string) => `the audit log could not be written (${why}); the entry is kept and retried`,
  ),
};
