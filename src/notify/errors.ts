/** The notify module's error catalogue. */
import { defineError } from '../core/index.js';

export const NotifyErrors = {
  channelNotFound: defineError(
    'NOTIFY_CHANNEL_NOT_FOUND',
    404,
    (id: string) => `notification channel ${id} not found`,
  ),
  routeNotFound: defineError(
    'NOTIFY_ROUTE_NOT_FOUND',
    404,
    (id: string) => `notification route ${id} not found`,
  ),
  notificationNotFound: defineError(
    'NOTIFY_NOTIFICATION_NOT_FOUND',
    404,
    (id: string) => `notification ${id} not found`,
  ),
  invalid: defineError(
    'NOTIFY_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  notRetryable: defineError(
    'NOTIFY_NOT_RETRYABLE',
    409,
    (id: string, status: string) =>
      `notification ${id} is ${status}; only failed notifications can be retried`,
  ),
};
