/** The alarms module's error catalogue. */
import { defineError } from '../core/index.js';

export const AlarmErrors = {
  notFound: defineError('ALARM_NOT_FOUND', 404, (id: number | string) => `alarm ${id} not found`),
  /** Ack of an acknowledged alarm, clear of a cleared one. */
  illegalTransition: defineError(
    'ALARM_ILLEGAL_TRANSITION',
    409,
    (id: number, state: string, verb: 'ack' | 'clear') =>
      `alarm ${id} is ${state}: it cannot be ${verb === 'ack' ? 'acknowledged' : 'cleared'} again`,
  ),
  badQuery: defineError(
    'VALIDATION_FAILED',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
};
