/**
 * The one publish authorization every client message passes — PUBLISH, a will at CONNECT and the
 * will again when it is published (the ACL may have changed meanwhile): broker-reserved topics
 * first (reserved-topics.ts), then the app's `authorizePublish` hook. A hook that throws or
 * rejects denies.
 */
import type { ClientInfo } from '../api.js';
import type { BrokerImpl } from '../broker.js';
import { isBrokerReservedTopic } from '../reserved-topics.js';
import type { Will } from '../types.js';

export function authorizePublish(
  b: BrokerImpl,
  client: ClientInfo,
  topic: string,
): boolean | Promise<boolean> {
  if (isBrokerReservedTopic(topic)) return false;
  let r: boolean | Promise<boolean>;
  try {
    r = b.hooks.authorizePublish(client, topic);
  } catch (err) {
    b.log.error({ err }, 'mqtt: authorizePublish hook failed');
    return false;
  }
  if (!(r instanceof Promise)) return r;
  return r.catch((err: unknown) => {
    b.log.error({ err }, 'mqtt: authorizePublish hook failed');
    return false;
  });
}

/**
 * A will is about to be published: authorize it again as its client, then route it
 * (`publishWill(…, true)`); refused, it is dropped, logged and counted (`willsDenied`).
 * Wills restored without the client's info (persisted before it was kept) are checked as a client
 * with that id and no user name.
 */
export function authorizeWill(b: BrokerImpl, clientId: string, w: Will): void {
  const client: ClientInfo = w.client ?? {
    clientId,
    remoteAddress: '',
    protocolVersion: 4,
    keepalive: 0,
    cleanStart: false,
    transport: 'tcp',
  };
  const decide = (ok: boolean): void => {
    if (ok) return b.publishWill(clientId, w, true);
    b.counters.willsDenied++;
    b.log.warn({ clientId, topic: w.topic }, 'mqtt: will not authorized when due, dropped');
  };
  const r = authorizePublish(b, client, w.topic);
  if (r instanceof Promise) void r.then(decide);
  else decide(r);
}
