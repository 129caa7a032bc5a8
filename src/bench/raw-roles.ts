/** Subscriber and publisher roles of a worker built on the lean client (raw-client.ts). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PubSpec, SubSpec } from './ipc.js';
import {
  publishLayout,
  puback,
  PublishEncoder,
  rawConnect,
  rawSubscribe,
  type RawClient,
} from './raw-client.js';

const nowNs = (): number => Number(process.hrtime.bigint());

/** Messages per write: enough to amortise the write call, small enough to keep latency honest. */
const BATCH = 64;

export interface MessageSink {
  onMessage(payload: Buffer, payloadAt: number): void;
}

export async function rawSubscribers(spec: SubSpec, sink: MessageSink): Promise<RawClient[]> {
  const qos = spec.qos;
  if (qos === 2 || spec.persistent) throw new Error('the raw client does QoS 0/1 with clean sessions only');
  const clients: RawClient[] = [];
  for (let i = 0; i < spec.clients; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(spec.clients, i + 50); j++) {
      batch.push(
        rawConnect(spec.url, `${spec.clientPrefix}-${j}`).then(async (c) => {
          await rawSubscribe(c, spec.topic.replace('{i}', String(j)), qos);
          c.onPacket = (p) => {
            if (p.header >> 4 !== 3) return;
            const { payloadAt, packetId } = publishLayout(p);
            if (packetId !== 0) c.socket.write(puback(packetId));
            sink.onMessage(p.body, payloadAt);
          };
          return c;
        }),
      );
    }
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

export async function rawPublishers(spec: PubSpec): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let i = 0; i < spec.clients; i++)
    clients.push(await rawConnect(spec.url, `${spec.clientPrefix}-${i}`));
  return clients;
}

function write(c: RawClient, buf: Buffer): Promise<void> | undefined {
  if (c.socket.write(buf)) return undefined;
  return new Promise((resolve) => c.socket.once('drain', resolve));
}

async function qos0(c: RawClient, spec: PubSpec, topic: string): Promise<number> {
  const enc = new PublishEncoder(topic, Math.max(16, spec.payloadSize));
  const start = nowNs();
  let sent = 0;
  while (sent < spec.countPerClient) {
    const due =
      spec.ratePerClient > 0
        ? Math.min(spec.countPerClient, Math.floor(((nowNs() - start) / 1e9) * spec.ratePerClient) + 1)
        : Math.min(spec.countPerClient, sent + 1024);
    while (sent < due) {
      const n = Math.min(BATCH, due - sent);
      const buf = Buffer.allocUnsafe(n * enc.size0);
      let off = 0;
      for (let k = 0; k < n; k++) off = enc.qos0(buf, off, sent++);
      const wait = write(c, buf);
      if (wait) await wait;
    }
    if (sent < spec.countPerClient) {
      if (spec.ratePerClient > 0) await sleep(1);
      else await new Promise<void>((r) => setImmediate(r));
    }
  }
  return sent;
}

function qos1(c: RawClient, spec: PubSpec, topic: string): Promise<number> {
  const enc = new PublishEncoder(topic, Math.max(16, spec.payloadSize));
  const window = Math.min(spec.window, 65_535);
  return new Promise((resolve) => {
    let sent = 0;
    let acked = 0;
    let nextId = 1;
    const pump = (): void => {
      const n = Math.min(window - (sent - acked), spec.countPerClient - sent);
      if (n <= 0) return;
      const buf = Buffer.allocUnsafe(n * enc.size1);
      let off = 0;
      for (let k = 0; k < n; k++) {
        off = enc.qos1(buf, off, sent++, nextId);
        nextId = nextId === 65_535 ? 1 : nextId + 1;
      }
      c.socket.write(buf);
    };
    c.onPacket = (p) => {
      if (p.header >> 4 !== 4) return;
      acked++;
      if (acked === spec.countPerClient) resolve(acked);
      else if (window - (sent - acked) >= Math.min(BATCH, window / 2)) pump();
    };
    if (spec.countPerClient === 0) resolve(0);
    else pump();
  });
}

export async function runRawPublishers(spec: PubSpec, clients: RawClient[]): Promise<number> {
  const counts = await Promise.all(
    clients.map((c, i) => {
      const topic = spec.topic.replace('{i}', String(i));
      return spec.qos === 1 ? qos1(c, spec, topic) : qos0(c, spec, topic);
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}
