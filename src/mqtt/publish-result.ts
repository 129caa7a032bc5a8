/**
 * Platform publishes report their drops (`BrokerApi.publish` → `PublishResult`): helpers for the
 * callers that log them or turn them into a failure of their own (a rule's republish, a command).
 */
import type { PublishResult } from './api.js';

/** "2 copies dropped: dev-a (queue full), dev-b on node n2 (too large)" — for logs and error messages. */
export function describeDrops(r: PublishResult): string {
  const listed = r.drops.map(
    (d) =>
      `${d.clientId || '?'}${d.node === undefined ? '' : ` on node ${d.node}`} (${d.reason.replace('_', ' ')})`,
  );
  const more = r.dropCount > listed.length ? `, and ${r.dropCount - listed.length} more` : '';
  return `${r.dropCount} ${r.dropCount === 1 ? 'copy' : 'copies'} dropped: ${listed.join(', ')}${more}`;
}

/** A platform publish that some subscriber did not get (thrown by callers that must not drop silently). */
export class PublishDroppedError extends Error {
  override readonly name = 'PublishDroppedError';
  constructor(
    readonly topic: string,
    readonly result: PublishResult,
  ) {
    super(`publish to ${topic}: ${describeDrops(result)}`);
  }
}

/** Throw `PublishDroppedError` when any copy was dropped. */
export function requireDelivered(topic: string, r: PublishResult): PublishResult {
  if (r.dropCount > 0) throw new PublishDroppedError(topic, r);
  return r;
}
