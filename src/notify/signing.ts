/**
 * Webhook signatures: `X-Tsunagu-Signature: sha256=<hex>` where hex = HMAC-SHA256(secret, raw body).
 * Receivers recompute it over the exact bytes they received and compare in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-tsunagu-signature';
export const EVENT_ID_HEADER = 'x-tsunagu-event-id';
export const TIMESTAMP_HEADER = 'x-tsunagu-timestamp';

export function sign(secret: string, rawBody: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function verifySignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
): boolean {
  if (header === undefined) return false;
  const want = Buffer.from(sign(secret, rawBody));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}
