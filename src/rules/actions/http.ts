/**
 * http: send the SELECT output (or the body template) to a URL. 2xx is success; anything else,
 * a network error or the timeout is a failed attempt (retried by the queue). With a secret, the
 * body is signed like notify's webhooks (`X-Tsunagu-Signature: sha256=<hex HMAC-SHA256>`), and every
 * attempt of one delivery carries the same `X-Tsunagu-Event-Id` for receivers to deduplicate.
 */
import { EVENT_ID_HEADER, sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../notify/index.js';
import type { HttpAction, Rendered } from '../types.js';

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

export async function sendHttp(a: HttpAction, r: Rendered, deliveryId: string, now: number): Promise<void> {
  const body = Buffer.from(r.body ?? '', 'base64');
  const headers: Record<string, string> = {
    'content-type': r.contentType ?? 'application/json',
    'user-agent': 'tsunagu-rules',
    ...r.headers,
    [EVENT_ID_HEADER]: deliveryId,
    [TIMESTAMP_HEADER]: String(now),
  };
  if (a.secret) headers[SIGNATURE_HEADER] = sign(a.secret, body);
  const timeout = a.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  let res: Response;
  try {
    res = await fetch(r.target, {
      method: a.method ?? 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(timeout),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new Error(
      e.name === 'TimeoutError'
        ? `timed out after ${timeout} ms`
        : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`,
      { cause: err },
    );
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`HTTP ${res.status}${text ? ': ' + text.slice(0, 200) : ''}`);
}
