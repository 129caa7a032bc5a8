/**
 * A node's answer to a forwarded QoS 1/2 message (nats-fan-out.ts): empty when every copy was
 * delivered or queued there, else the copies it dropped (queue full, too large), so the origin's
 * publisher (an MQTT 5 PUBACK 0x97, a platform publish's `PublishResult`) hears of them.
 */
import type { DropReason, Route } from '../mqtt/index.js';

interface ForwardAnswer {
  n: number;
  d?: [string, DropReason][];
}

export function forwardAnswer(r: Route): Uint8Array | undefined {
  if (r.dropCount === 0) return undefined;
  const a: ForwardAnswer = { n: r.dropCount, d: (r.drops ?? []).map((d) => [d.clientId, d.reason]) };
  return Buffer.from(JSON.stringify(a));
}

/** Add the drops a node answered to the origin's route; returns how many (0 for an empty or bad answer). */
export function addRemoteDrops(r: Route, node: string, data: Uint8Array): number {
  let a: ForwardAnswer;
  try {
    a = JSON.parse(Buffer.from(data).toString('utf8')) as ForwardAnswer;
  } catch {
    return 0;
  }
  if (typeof a.n !== 'number' || !(a.n > 0)) return 0;
  const listed = Array.isArray(a.d) ? a.d : [];
  for (let i = 0; i < a.n; i++) r.drop(listed[i]?.[0] ?? '', listed[i]?.[1] ?? 'queue_full', true, node);
  return a.n;
}
