/**
 * The base of every typed error in Tsunagu. Each module keeps one catalogue of codes
 * (`<module>/errors.ts`) built with `defineError`; `http/` maps `statusCode` to HTTP and
 * the broker maps its own errors to MQTT reason codes.
 */
export class TsunaguError extends Error {
  readonly code: string;
  readonly statusCode: number;
  /** The request field the error is about, for validation errors. */
  readonly field: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: string,
    message: string,
    statusCode = 500,
    opts: { field?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TsunaguError';
    this.code = code;
    this.statusCode = statusCode;
    this.field = opts.field;
    this.details = opts.details;
  }
}

/**
 * Declare a catalogue entry: `const NotFound = defineError('DEVICE_NOT_FOUND', 404, (id: string) => \`device ${id} not found\`)`
 * then `throw NotFound(id)`.
 */
export function defineError<A extends unknown[]>(
  code: string,
  statusCode: number,
  message: (...args: A) => string,
  field?: (...args: A) => string | undefined,
): ((...args: A) => TsunaguError) & { code: string } {
  const make = (...args: A): TsunaguError => {
    const f = field?.(...args);
    return new TsunaguError(code, message(...args), statusCode, f === undefined ? {} : { field: f });
  };
  return Object.assign(make, { code });
}

export const CoreErrors = {
  validation: defineError(
    'VALIDATION_FAILED',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (f) => f,
  ),
  notFound: defineError('NOT_FOUND', 404, (what: string) => `${what} not found`),
  conflict: defineError('CONFLICT', 409, (why: string) => why),
  unauthorized: defineError('UNAUTHORIZED', 401, (why: string) => why),
  forbidden: defineError('FORBIDDEN', 403, (why: string) => why),
  rateLimited: defineError('RATE_LIMITED', 429, (why: string) => why),
};
