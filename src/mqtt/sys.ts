/**
 * `$SYS/broker/...` statistics, published retained every 10 s with Mosquitto's topic names where
 * Mosquitto has them. Kept in memory only (not persisted).
 */
import type { Broker } from './api.js';
import { BROKER_VERSION_TEXT } from './version.js';

type SysSource = Pick<Broker, 'stats' | 'publish'> & { now(): number; readonly startedAt: number };

export function sysValues(b: SysSource): Record<string, string> {
  const st = b.stats();
  return {
    'clients/connected': String(st.clientsConnected),
    'clients/total': String(st.clientsTotal),
    'messages/received': String(st.messagesReceived),
    'messages/sent': String(st.messagesSent),
    'bytes/received': String(st.bytesReceived),
    'bytes/sent': String(st.bytesSent),
    'subscriptions/count': String(st.subscriptionsCount),
    'retained messages/count': String(st.retainedCount),
    'publish/messages/dropped': String(st.publishDropped),
    uptime: `${Math.floor((b.now() - b.startedAt) / 1000)} seconds`,
    version: BROKER_VERSION_TEXT,
  };
}

export function publishSys(b: SysSource): void {
  for (const [k, v] of Object.entries(sysValues(b)))
    void b.publish({ topic: `$SYS/broker/${k}`, payload: v, qos: 0, retain: true });
}
