/**
 * Combine authorization hooks so that every one must allow (the registry's per-device ACL AND a
 * static ACL file). Synchronous answers stay synchronous: the publish hot path pays no promise
 * when both policies answer from cache.
 */
import type { BrokerHooks, ClientInfo } from './api.js';

type Check = (client: ClientInfo, topic: string) => boolean | Promise<boolean>;

function both(a: Check | undefined, b: Check | undefined): Check | undefined {
  if (!a) return b;
  if (!b) return a;
  return (client, topic) => {
    const first = a(client, topic);
    if (first === false) return false;
    if (first === true) return b(client, topic);
    return first.then((ok) => (ok ? b(client, topic) : false));
  };
}

export function allOf(
  ...hooks: Partial<Pick<BrokerHooks, 'authorizePublish' | 'authorizeSubscribe'>>[]
): Partial<Pick<BrokerHooks, 'authorizePublish' | 'authorizeSubscribe'>> {
  let pub: Check | undefined;
  let sub: Check | undefined;
  for (const h of hooks) {
    pub = both(pub, h.authorizePublish);
    sub = both(sub, h.authorizeSubscribe);
  }
  return { ...(pub ? { authorizePublish: pub } : {}), ...(sub ? { authorizeSubscribe: sub } : {}) };
}
