/**
 * What `bench cluster --only kill` sets up through the nodes' HTTP API before the fleet connects:
 * a device model with a heartbeat deadline, an application model for the subscribers, the devices
 * (YAML import, in chunks) and one password credential each (spread over the nodes), and a webhook
 * channel routed for `service-state.changed` to a local sink that keeps every POST.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchNode } from './cluster-nodes.js';
import type { KillDevice } from './cluster-kill-ipc.js';
import type { WebhookPost } from './cluster-kill-report.js';

export const DEVICE_MODEL = 'kill-dev';
export const APP_MODEL = 'kill-app';

export interface KillFleet {
  devices: KillDevice[];
  subs: KillDevice[];
  watcher: KillDevice;
}

async function credentials(nodes: BenchNode[], ids: string[], lanes: number): Promise<KillDevice[]> {
  const out: KillDevice[] = new Array(ids.length);
  let next = 0;
  const lane = async (k: number): Promise<void> => {
    for (let i = next++; i < ids.length; i = next++) {
      const id = ids[i]!;
      const node = nodes[(i + k) % nodes.length]!;
      const r = await node.api('POST', `/devices/${id}/credentials`, { kind: 'password' });
      out[i] = { id, username: String(r.credential.username), secret: String(r.secret) };
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, k) => lane(k)));
  return out;
}

export async function provisionKillFleet(
  nodes: BenchNode[],
  o: { devices: number; subscribers: number },
  log: (line: string) => void,
): Promise<KillFleet> {
  const api = nodes[0]!;
  // The heartbeat deadline is switched on once the fleet is connected (heartbeatDeadlines): a
  // deadline running from registration would pass while 10,000 devices are still connecting.
  await api.api('POST', '/device-models', { name: DEVICE_MODEL });
  await api.api('POST', '/device-models', {
    name: APP_MODEL,
    acl: { subscribe: ['devices/#'], publish: ['apps/${deviceId}/#'] },
  });
  const ids = Array.from({ length: o.devices }, (_, i) => `kd-${i}`);
  for (let i = 0; i < ids.length; i += 2000) {
    // JSON is YAML: the import takes it as application/yaml.
    const doc = { apiVersion: 'tsunagu/v1', devices: ids.slice(i, i + 2000).map((id) => ({ id, model: DEVICE_MODEL })) };
    await api.api('POST', '/import', JSON.stringify(doc), 'application/yaml');
  }
  const apps = [...Array.from({ length: o.subscribers }, (_, i) => `ks-${i}`), 'kw-watcher'];
  for (const id of apps) await api.api('POST', '/devices', { id, model: APP_MODEL });
  log(`provisioned ${ids.length} devices and ${apps.length} application clients; issuing credentials`);
  const creds = await credentials(nodes, [...ids, ...apps], 12);
  return {
    devices: creds.slice(0, ids.length),
    subs: creds.slice(ids.length, ids.length + o.subscribers),
    watcher: creds[creds.length - 1]!,
  };
}

export async function heartbeatDeadlines(node: BenchNode, periodMs: number, graceMs: number): Promise<void> {
  await node.api('PUT', `/device-models/${DEVICE_MODEL}`, {
    heartbeat: { intervalMs: periodMs, graceMs, signOfLife: 'heartbeat' },
  });
}

export interface WebhookSink {
  url: string;
  posts: WebhookPost[];
  close(): Promise<void>;
}

/** A local HTTP endpoint answering 200 to every POST and keeping its event id header and items. */
export async function startWebhookSink(): Promise<WebhookSink> {
  const posts: WebhookPost[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      try {
        const json = JSON.parse(body) as { items?: WebhookPost['items'] };
        posts.push({ notificationId: String(req.headers['x-tsunagu-event-id']), items: json.items ?? [] });
      } catch {
        posts.push({ notificationId: String(req.headers['x-tsunagu-event-id']), items: [] });
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    posts,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A webhook channel (no storm grouping: one message per event) routed for service-state changes. */
export async function routeServiceStates(node: BenchNode, url: string): Promise<void> {
  const channel = await node.api('POST', '/notification-channels', {
    name: 'kill-sink',
    type: 'webhook',
    url,
    secret: 'kill-bench-secret-0123456789abcdef',
    groupWindowMs: 0,
  });
  await node.api('POST', '/notification-routes', {
    name: 'service state',
    channelIds: [channel.id],
    kinds: ['service-state.changed'],
  });
}
