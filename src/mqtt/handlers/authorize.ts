/**
 * The one publish authorization every client message passes — PUBLISH, a will at CONNECT and the
 * will again when it is published (the ACL may have changed meanwhile): broker-reserved topics
 * first (reserved-topics.ts), then the app's `authorizePublish` hook. A hook that throws or
 * rejects denies.
 */
import type { ClientInfo } from '../api.js';
import type { BrokerHost } from '../host.js';
import { isBrokerReservedTopic } from '../reserved-topics.js';
import type { Will } from '../types.js';

type AuthorizeHost = Pick<BrokerHost, 'hooks' | 'log' | 'counters'>;

export function authorizePublish(
  b: Pick<BrokerHost, 'hooks' | 'log'>,
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
 * A will is about to be published: authorize it again as its client, then `publish` it; refused,
 * it is dropped, logged and counted (`willsDenied`).
 * Wills restored without the client's info (persisted before it was kept) are checked as a client
 * with that id and no user name.
 */
export function authorizeWill(b: AuthorizeHost, clientId: string, w: Will, publish: () => void): void {
  const client: ClientInfo = w.client ?? {
    clientId,
    remoteAddress: '',
    protocolVersion: 4,
    keepalive: 0,
    cleanStart: false,
    transport: 'tcp',
  };
  const decide = (ok: boolean): void => {
    if (ok) return publish();
    b.counters.willsDenied++;
    b.log.warn({ clientId, topic: w.topic }, 'mqtt: will not authorized when due, dropped');
  };
  const r = authorizePublish(b, client, w.topic);
  if (r instanceof Promise) void r.then(decide);
  else decide(r);
}
