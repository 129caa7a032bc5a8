/**
 * The one place errors become HTTP responses. Body: `{ error: { code, message, field?, details? } }`.
 * Never a stack trace to the client; 5xx are logged with the stack. Fastify's own errors (bad URL,
 * unsupported media type, body too large, malformed JSON, …) are mapped onto this catalogue, so a
 * client sees one body shape whoever refused the request.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { defineError, TsunaguError } from '../core/index.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
}

/** The HTTP layer's catalogue: what the server refuses before a module's handler runs. */
export const HttpErrors = {
  badRequest: defineError('BAD_REQUEST', 400, (why: string) => why),
  malformedBody: defineError(
    'MALFORMED_BODY',
    400,
    (why: string) => `body: ${why}`,
    () => 'body',
  ),
  tooDeep: defineError(
    'BODY_TOO_DEEP',
    400,
    (max: number) => `body: JSON nested deeper than ${max} levels`,
    () => 'body',
  ),
  notFinite: defineError(
    'VALIDATION_FAILED',
    422,
    (field: string) => `${field}: must be a finite number`,
    (field) => field,
  ),
  routeNotFound: defineError(
    'NOT_FOUND',
    404,
    (method: string, path: string) => `no route ${method} ${path}`,
  ),
  payloadTooLarge: defineError('PAYLOAD_TOO_LARGE', 413, (why: string) => why),
  uriTooLong: defineError('URI_TOO_LONG', 414, (why: string) => why),
  headersTooLarge: defineError('HEADERS_TOO_LARGE', 431, () => 'request headers are too large'),
  requestTimeout: defineError('REQUEST_TIMEOUT', 408, () => 'the request took too long to arrive'),
  unsupportedMedia: defineError('UNSUPPORTED_MEDIA_TYPE', 415, (why: string) => why),
  rateLimited: defineError('RATE_LIMITED', 429, (why: string) => why),
  internal: defineError('INTERNAL', 500, () => 'internal error'),
};

/** Fastify's error codes → the catalogue (its messages are safe to show: no stack, no internals). */
const FASTIFY_CODES: Record<string, (message: string) => TsunaguError> = {
  FST_ERR_BAD_URL: () => HttpErrors.badRequest('the URL is not valid (bad percent-encoding)'),
  FST_ERR_MAX_PARAM_LENGTH: () => HttpErrors.uriTooLong('a path parameter is too long'),
  FST_ERR_ASYNC_CONSTRAINT: (m) => HttpErrors.badRequest(m),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (m) => HttpErrors.unsupportedMedia(m),
  FST_ERR_CTP_BODY_TOO_LARGE: (m) => HttpErrors.payloadTooLarge(m),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (m) => HttpErrors.badRequest(m),
  FST_ERR_CTP_EMPTY_JSON_BODY: (m) => HttpErrors.malformedBody(m),
  FST_ERR_CTP_INVALID_JSON_BODY: (m) => HttpErrors.malformedBody(m),
};

function fieldFromValidation(e: FastifyError): string | undefined {
  const v = e.validation?.[0];
  if (!v) return undefined;
  // `/decoders/0/match` → `decoders[0].match`, the form the modules' own validators use.
  const base = (v.instancePath ?? '')
    .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
    .replace(/^\//, '')
    .replace(/\//g, '.');
  const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
  const extra = (v.params as { additionalProperty?: string } | undefined)?.additionalProperty;
  const leaf = missing ?? extra;
  const path = [e.validationContext, base, leaf]
    .filter((s) => s !== undefined && s !== '')
    .join('.')
    .replace(/\.\[/g, '[');
  return path || undefined;
}

/** Any thrown value → a catalogue error (unknown ones become INTERNAL, logged by the caller). */
export function toTsunaguError(err: unknown): TsunaguError {
  if (err instanceof TsunaguError) return err;
  const fe = err as Partial<FastifyError>;
  if (fe.validation) {
    const field = fieldFromValidation(fe as FastifyError);
    const v = fe.validation[0];
    // An enum names its values, so the caller learns what would have been accepted.
    const allowed = (v?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
    const why = `${v?.message ?? 'invalid'}${allowed ? ` (${allowed.map(String).join(', ')})` : ''}`;
    return new TsunaguError('VALIDATION_FAILED', field ? `${field}: ${why}` : String(fe.message), 422, {
      ...(field ? { field } : {}),
    });
  }
  const mapped = typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return mapped(String(fe.message));
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 500 || status < 400) return HttpErrors.internal();
  const message = String(fe.message);
  if (status === 404) return new TsunaguError('NOT_FOUND', message, 404);
  if (status === 413) return HttpErrors.payloadTooLarge(message);
  if (status === 415) return HttpErrors.unsupportedMedia(message);
  if (status === 429) return HttpErrors.rateLimited(message);
  return new TsunaguError('BAD_REQUEST', message, status);
}

export function errorBody(e: TsunaguError): ErrorBody {
  const body: ErrorBody = { error: { code: e.code, message: e.message } };
  if (e.field !== undefined) body.error.field = e.field;
  if (e.details !== undefined) body.error.details = { ...e.details };
  return body;
}

export function errorHandler(
  err: FastifyError | TsunaguError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
): void {
  const e = toTsunaguError(err);
  if (e.statusCode >= 500) req.log.error({ err }, 'request failed');
  void reply.status(e.statusCode).send(errorBody(e));
}

/** Fastify's `frameworkErrors` (bad URL, over-long path parameter) answer with the same body. */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  errorHandler(err, req, reply);
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a garbage request line, headers
 * over the limit, a request that never finishes) — answered on the raw socket, same body.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? HttpErrors.headersTooLarge()
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? HttpErrors.requestTimeout()
        : HttpErrors.badRequest('the request is not valid HTTP');
  const body = JSON.stringify(errorBody(e));
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${e.statusCode} ${STATUS_CODES[e.statusCode]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}
