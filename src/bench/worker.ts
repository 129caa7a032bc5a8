/**
 * A client worker process of the broker benchmark. The orchestrator forks it with an IPC channel,
 * sends `start` with a spec, waits for `ready`, sends `go`, and gets `done` with counts and times.
 * Clients live here, not in the orchestrator or the broker, so their CPU is not the broker's.
 */
import type { connect as mqttConnect, MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FromWorker, PubSpec, SubSpec, ToWorker, WorkerResult } from './ipc.js';
import { openIdleConnections } from './idle-connections.js';
import type { RawClient } from './raw-client.js';
import { rawPublishers, rawSubscribers, runRawPublishers } from './raw-roles.js';

const nowNs = (): number => Number(process.hrtime.bigint());

function send(msg: FromWorker): void {
  process.send?.(msg);
}

// Loaded only by workers that use mqtt.js: raw-client workers start faster without it.
let connectMqtt: typeof mqttConnect | undefined;

async function connectClient(url: string, clientId: string, clean = true): Promise<MqttClient> {
  connectMqtt ??= (await import('mqtt')).connect;
  const connectFn = connectMqtt;
  return new Promise((resolve, reject) => {
    const client = connectFn(url, {
      clientId,
      clean,
      keepalive: 60,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      protocolVersion: 4,
    });
    client.once('connect', () => {
      client.removeListener('error', reject);
      resolve(client);
    });
    client.once('error', reject);
  });
}

/** Connect `n` clients, a bounded number at a time (1,000 simultaneous CONNECTs would only queue). */
async function connectMany(url: string, prefix: string, n: number, clean = true): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) batch.push(connectClient(url, `${prefix}-${j}`, clean));
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

class Subscribers {
  private received = 0;
  private firstNs = 0;
  private lastNs = 0;
  private readonly latency: Float64Array | undefined;
  private clients: MqttClient[] = [];
  private raw: RawClient[] = [];
  private finished = false;
  private progressTimer: NodeJS.Timeout | undefined;

  constructor(private readonly spec: SubSpec) {
    this.latency = spec.latency ? new Float64Array(spec.clients * spec.expectPerClient) : undefined;
  }

  async start(): Promise<void> {
    const { spec } = this;
    if (spec.client === 'raw') {
      this.raw = await rawSubscribers(spec, this);
    } else {
      this.clients = await connectMany(spec.url, spec.clientPrefix, spec.clients, !spec.persistent);
      await Promise.all(
        this.clients.map(
          (c, i) =>
            new Promise<void>((resolve, reject) => {
              c.on('message', (_topic, payload) => this.onMessage(payload, 0));
              c.subscribe(spec.topic.replace('{i}', String(i)), { qos: spec.qos }, (err) =>
                err ? reject(err) : resolve(),
              );
            }),
        ),
      );
    }
    this.progressTimer = setInterval(() => send({ type: 'progress', count: this.received }), 250);
  }

  onMessage(payload: Buffer, at: number): void {
    const t = nowNs();
    if (this.received === 0) this.firstNs = t;
    this.lastNs = t;
    if (this.latency && payload.length >= at + 8 && this.received < this.latency.length) {
      this.latency[this.received] = t - Number(payload.readBigUInt64BE(at));
    }
    this.received++;
    if (this.received === this.spec.clients * this.spec.expectPerClient) this.finish();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.progressTimer);
    const result: WorkerResult = {
      role: 'sub',
      received: this.received,
      firstNs: this.firstNs,
      lastNs: this.lastNs,
      ...(this.latency
        ? { latencyNs: Array.from(this.latency.subarray(0, Math.min(this.received, this.latency.length))) }
        : {}),
    };
    send({ type: 'done', result });
  }

  async close(): Promise<void> {
    for (const c of this.raw) c.socket.destroy();
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}

function payloadOf(size: number, seq: number): Buffer {
  const b = Buffer.alloc(Math.max(16, size));
  b.writeBigUInt64BE(process.hrtime.bigint(), 0);
  b.writeUInt32BE(seq >>> 0, 8);
  return b;
}

/** QoS 0: one PUBLISH at a time into the socket, waiting for `drain` when it pushes back. */
function publishQos0(client: MqttClient, topic: string, payload: Buffer): Promise<void> | undefined {
  let flushed = false;
  let wake: (() => void) | undefined;
  client.publish(topic, payload, { qos: 0 }, () => {
    flushed = true;
    wake?.();
  });
  if (flushed) return undefined;
  return new Promise((resolve) => {
    if (flushed) resolve();
    else wake = resolve;
  });
}

async function runQos0(client: MqttClient, spec: PubSpec): Promise<number> {
  const start = nowNs();
  let sent = 0;
  while (sent < spec.countPerClient) {
    // Paced runs send what is due by now, then sleep a millisecond; unpaced runs yield now and then
    // so the socket's data (and the IPC channel) get a turn.
    const due =
      spec.ratePerClient > 0
        ? Math.min(spec.countPerClient, Math.floor(((nowNs() - start) / 1e9) * spec.ratePerClient) + 1)
        : Math.min(spec.countPerClient, sent + 1024);
    while (sent < due) {
      const wait = publishQos0(client, spec.topic, payloadOf(spec.payloadSize, sent));
      sent++;
      if (wait) await wait;
    }
    if (sent < spec.countPerClient) {
      if (spec.ratePerClient > 0) await sleep(1);
      else await new Promise<void>((r) => setImmediate(r));
    }
  }
  return sent;
}

/** QoS 1 or 2 with a window: keep `window` PUBLISH packets awaiting PUBACK (QoS 2: PUBCOMP). */
function runQos12(client: MqttClient, spec: PubSpec, qos: 1 | 2): Promise<number> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    let inflight = 0;
    const pump = (): void => {
      while (inflight < spec.window && sent < spec.countPerClient) {
        inflight++;
        const seq = sent++;
        client.publish(spec.topic, payloadOf(spec.payloadSize, seq), { qos }, (err) => {
          if (err) {
            reject(err);
            return;
          }
          inflight--;
          acked++;
          if (acked === spec.countPerClient) resolve(acked);
          else pump();
        });
      }
    };
    if (spec.countPerClient === 0) resolve(0);
    else pump();
  });
}

async function runPublishers(spec: PubSpec, clients: MqttClient[]): Promise<WorkerResult> {
  const startNs = nowNs();
  const counts = await Promise.all(
    clients.map((c, i) => {
      const s = { ...spec, topic: spec.topic.replace('{i}', String(i)) };
      return spec.qos === 0 ? runQos0(c, s) : runQos12(c, s, spec.qos);
    }),
  );
  return { role: 'pub', sent: counts.reduce((a, b) => a + b, 0), startNs, endNs: nowNs() };
}

let cleanup: (() => Promise<void>) | undefined;

async function onStart(spec: ToWorker & { type: 'start' }): Promise<void> {
  const s = spec.spec;
  switch (s.role) {
    case 'sub': {
      const subs = new Subscribers(s);
      cleanup = () => subs.close();
      await subs.start();
      process.on('message', (m: ToWorker) => {
        if (m.type === 'stop') subs.finish();
      });
      send({ type: 'ready' });
      return;
    }
    case 'pub': {
      const clients =
        s.client === 'raw' ? [] : await connectMany(s.url, s.clientPrefix, s.clients, !s.persistent);
      const raw = s.client === 'raw' ? await rawPublishers(s) : [];
      cleanup = async () => {
        for (const c of raw) c.socket.destroy();
        await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      };
      const run = async (): Promise<WorkerResult> => {
        if (s.client === 'mqttjs') return runPublishers(s, clients);
        const startNs = nowNs();
        const sent = await runRawPublishers(s, raw);
        return { role: 'pub', sent, startNs, endNs: nowNs() };
      };
      process.on('message', (m: ToWorker) => {
        if (m.type === 'go')
          run().then(
            (result) => send({ type: 'done', result }),
            (err: unknown) => send({ type: 'error', message: String(err) }),
          );
      });
      send({ type: 'ready' });
      return;
    }
    case 'idle': {
      const conns = await openIdleConnections(s, (count) => send({ type: 'progress', count }));
      send({ type: 'progress', count: conns.opened });
      cleanup = async () => conns.close();
      process.on('message', (m: ToWorker) => {
        if (m.type === 'stop') send({ type: 'done', result: { role: 'idle', opened: conns.opened } });
      });
      send({ type: 'ready' });
      return;
    }
  }
}

process.once('message', (m: ToWorker) => {
  if (m.type !== 'start') return;
  onStart(m).catch((err: unknown) => {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
});

// The orchestrator disconnects the IPC channel when it is done with this worker.
process.on('disconnect', () => {
  const done = cleanup ? cleanup() : Promise.resolve();
  const force = setTimeout(() => process.exit(0), 2000);
  force.unref();
  done.finally(() => process.exit(0)).catch(() => undefined);
});
