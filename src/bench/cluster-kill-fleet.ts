/**
 * A device fleet process of `bench cluster --only kill` (forked with IPC, cluster-kill-ipc.ts).
 * Light MQTT 3.1.1 devices over raw sockets (mqtt.js costs tens of KB and several µs per message
 * each; 10,000 of them would make the clients the bottleneck of a 2-core host): CONNECT with the
 * device's password and a QoS 1 will on `devices/{id}/will`, then one QoS 1 heartbeat
 * `{"seq":n}` on `devices/{id}/heartbeat` per period, at a phase of its own. A device keeps every
 * PUBACKed sequence number; what is unacknowledged when its connection drops is published again
 * after it reconnects (at least once, as a device with a clean session does it).
 *
 * Like real devices, a dropped connection is retried after a random 0.1–1 s, then with a growing
 * back-off; at most `parallel` CONNECTs are in flight in this process (the pacing). After `arm`,
 * closes are noted; every `goneEvery`-th device (by fleet index) whose connection closes then stays
 * away: its will must be published once and health must take it out of service once.
 */
import { connect, type Socket } from 'node:net';
import { generate } from 'mqtt-packet';
import type { DeviceReport, FleetSpec, FleetStatus, FromFleet, ToFleet } from './cluster-kill-ipc.js';
import { connectPacket, PacketScanner, type RawPacket } from './raw-client.js';

interface Dev {
  id: string;
  username: string;
  secret: string;
  index: number;
  local: string;
  socket: Socket | undefined;
  connected: boolean;
  nextPid: number;
  seq: number;
  inflight: Map<number, number>;
  resend: number[];
  acked: number[];
  sentAt: number[];
  nextAt: number;
  failures: number;
  /** A heartbeat fell due while it was disconnected. */
  missed: boolean;
  closedAt?: number;
  backAt?: number;
  attempts: number;
  gone: boolean;
}

const CONNECT_TIMEOUT_MS = 15_000;
const send = (m: FromFleet): void => void process.send?.(m);

let spec: FleetSpec;
let devs: Dev[] = [];
let armed = false;
let quiet = false;
let active = 0;
const queue: Dev[] = [];
let tick: NodeJS.Timeout | undefined;

function pump(): void {
  while (active < spec.parallel && queue.length > 0) {
    active++;
    connectOnce(queue.shift()!);
  }
}

function retryLater(d: Dev, ms: number): void {
  setTimeout(() => {
    queue.push(d);
    pump();
  }, ms).unref();
}

function publish(d: Dev, seq: number): void {
  d.nextPid = d.nextPid >= 65535 ? 1 : d.nextPid + 1;
  d.inflight.set(d.nextPid, seq);
  d.socket!.write(
    generate({
      cmd: 'publish',
      topic: `devices/${d.id}/heartbeat`,
      payload: Buffer.from(`{"seq":${seq}}`),
      qos: 1,
      messageId: d.nextPid,
      retain: false,
      dup: false,
    }),
  );
}

function onConnected(d: Dev): void {
  d.connected = true;
  d.failures = 0;
  if (d.closedAt !== undefined && d.backAt === undefined) d.backAt = Date.now();
  for (const seq of d.resend.splice(0)) publish(d, seq);
  if (d.missed && !quiet) heartbeat(d, Date.now());
}

function onClosed(d: Dev): void {
  d.connected = false;
  d.socket = undefined;
  for (const seq of d.inflight.values()) d.resend.push(seq);
  d.inflight.clear();
  if (!armed) return retryLater(d, 100 + Math.random() * 900);
  if (d.closedAt === undefined) {
    d.closedAt = Date.now();
    d.gone = spec.goneEvery > 0 && d.index % spec.goneEvery === 0;
  }
  if (!d.gone) retryLater(d, 100 + Math.random() * 900);
}

function connectOnce(d: Dev): void {
  if (d.closedAt !== undefined) d.attempts++;
  const socket = connect({ host: '127.0.0.1', port: spec.port, localAddress: d.local });
  socket.setNoDelay(true);
  let state: 'connecting' | 'up' | 'done' = 'connecting';
  const failed = (): void => {
    if (state !== 'connecting') return;
    state = 'done';
    clearTimeout(timer);
    socket.destroy();
    active--;
    pump();
    d.failures++;
    retryLater(d, Math.min(5000, 250 * 2 ** d.failures) * (0.5 + Math.random() / 2));
  };
  const timer = setTimeout(failed, CONNECT_TIMEOUT_MS);
  const scanner = new PacketScanner((p: RawPacket) => {
    const type = p.header >> 4;
    if (state === 'connecting') {
      if (type !== 2 || p.body[1] !== 0) return failed(); // CONNACK, return code 0 [MQTT-3.2.2.3]
      state = 'up';
      clearTimeout(timer);
      active--;
      pump();
      d.socket = socket;
      onConnected(d);
    } else if (type === 4) {
      const pid = p.body.readUInt16BE(0); // PUBACK
      const seq = d.inflight.get(pid);
      if (seq !== undefined) {
        d.inflight.delete(pid);
        d.acked.push(seq);
      }
    }
  });
  socket.on('data', (chunk: Buffer) => scanner.push(chunk));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (state === 'connecting') return failed();
    if (state === 'up') {
      state = 'done';
      onClosed(d);
    }
  });
  socket.write(
    connectPacket(d.id, {
      username: d.username,
      password: Buffer.from(d.secret),
      will: { topic: `devices/${d.id}/will`, payload: Buffer.from(d.id), qos: 1, retain: false },
    }),
  );
}

function heartbeat(d: Dev, now: number): void {
  d.missed = false;
  d.sentAt[++d.seq] = now;
  publish(d, d.seq);
}

function beat(): void {
  const now = Date.now();
  for (const d of devs) {
    if (now < d.nextAt) continue;
    d.nextAt += spec.periodMs;
    if (quiet) continue;
    if (!d.connected) {
      d.missed = true; // sent once it is back, as a device heartbeats on reconnect
      continue;
    }
    heartbeat(d, now);
  }
}

function status(): FleetStatus {
  const s: FleetStatus = {
    cmd: 'status',
    total: devs.length,
    connected: 0,
    closed: 0,
    back: 0,
    gone: 0,
    sent: 0,
    acked: 0,
    unacked: 0,
  };
  for (const d of devs) {
    if (d.connected) s.connected++;
    if (d.closedAt !== undefined) s.closed++;
    if (d.backAt !== undefined) s.back++;
    if (d.gone) s.gone++;
    s.sent += d.seq;
    s.acked += d.acked.length;
    if (!d.gone) s.unacked += d.inflight.size + d.resend.length;
  }
  return s;
}

function report(): DeviceReport[] {
  return devs.map((d) => ({
    id: d.id,
    acked: d.acked,
    sent: d.seq,
    sentAt: d.sentAt,
    ...(d.closedAt !== undefined ? { closedAt: d.closedAt } : {}),
    ...(d.backAt !== undefined ? { backAt: d.backAt } : {}),
    attempts: d.attempts,
    gone: d.gone,
  }));
}

function start(s: FleetSpec): void {
  spec = s;
  const now = Date.now();
  devs = s.devices.map((k, i) => ({
    ...k,
    index: s.indexBase + i,
    local: s.locals[(s.indexBase + i) % s.locals.length]!,
    socket: undefined,
    connected: false,
    nextPid: 0,
    seq: 0,
    inflight: new Map(),
    resend: [],
    acked: [],
    sentAt: [],
    // Spread over the period so the fleet publishes at an even rate.
    nextAt: now + ((((s.indexBase + i) * 7919) % s.devices.length) / s.devices.length) * s.periodMs,
    failures: 0,
    missed: false,
    attempts: 0,
    gone: false,
  }));
  queue.push(...devs);
  pump();
  tick = setInterval(beat, 100);
  send({ cmd: 'ready' });
}

process.on('message', (m: ToFleet) => {
  try {
    switch (m.cmd) {
      case 'start':
        return start(m.spec);
      case 'arm':
        armed = true;
        return send(status());
      case 'quiet':
        quiet = true;
        return send(status());
      case 'status':
        return send(status());
      case 'report':
        return send({ cmd: 'report', devices: report() });
    }
  } catch (err) {
    send({ cmd: 'error', message: (err as Error).message });
  }
});
process.on('disconnect', () => {
  clearInterval(tick);
  for (const d of devs) d.socket?.destroy();
  process.exit(0);
});
