/**
 * The one place errors become HTTP responses. Body: `{ error: { code, message, field?, details? } }`.
 * Never a stack trace to the client; 5xx are logged with the stack.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TsunaguError } from '../core/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
}

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

export function errorHandler(
  err: FastifyError | TsunaguError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
): void {
  if (err instanceof TsunaguError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.field !== undefined) body.error.field = err.field;
    if (err.details !== undefined) body.error.details = { ...err.details };
    if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
    void reply.status(err.statusCode).send(body);
    return;
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const field = fieldFromValidation(fe);
    const body: ErrorBody = {
      error: {
        code: 'VALIDATION_FAILED',
        message: field ? `${field}: ${fe.validation[0]?.message ?? 'invalid'}` : fe.message,
      },
    };
    if (field) body.error.field = field;
    void reply.status(422).send(body);
    return;
  }
  const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 ? fe.statusCode : 500;
  if (status >= 500) {
    req.log.error({ err }, 'request failed');
    void reply
      .status(status)
      .send({ error: { code: 'INTERNAL', message: 'internal error' } } satisfies ErrorBody);
    return;
  }
  const code =
    status === 404
      ? 'NOT_FOUND'
      : status === 413
        ? 'PAYLOAD_TOO_LARGE'
        : status === 429
          ? 'RATE_LIMITED'
          : 'BAD_REQUEST';
  void reply.status(status).send({ error: { code, message: fe.message } } satisfies ErrorBody);
}
