/**
 * The persistent QoS 1 subscribers of `bench cluster --only kill` (forked with IPC,
 * cluster-kill-ipc.ts): mqtt.js MQTT 5 clients with a session that outlives the connection
 * (clean start off, session expiry 1 h), connected through HAProxy like the devices and
 * reconnecting on their own (every 500 ms). Each keeps, per device, every heartbeat sequence
 * number it received, repeats included, so the orchestrator can count what an acknowledged
 * publish never delivered (lost) and what arrived twice.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { FromSubs, SubReport, SubsSpec, ToSubs } from './cluster-kill-ipc.js';

const send = (m: FromSubs): void => void process.send?.(m);

interface Sub {
  client: MqttClient;
  report: SubReport;
}

let subs: Sub[] = [];
let armed = false;
let received = 0;

function open(spec: SubsSpec, k: (typeof spec.subs)[number]): Promise<Sub> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${spec.port}`, {
    clientId: k.id,
    username: k.username,
    password: k.secret,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 500,
    connectTimeout: 15_000,
    // The session keeps the subscription; re-subscribing after a takeover is not needed.
    resubscribe: false,
  });
  const sub: Sub = { client, report: { id: k.id, received: {}, dropped: 0 } };
  client.on('error', () => undefined); // refused while a node is down: mqtt.js retries
  client.on('close', () => {
    if (armed) sub.report.dropped++;
  });
  client.on('message', (topic, payload) => {
    const id = topic.split('/')[1]!;
    const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
    (sub.report.received[id] ??= []).push(seq);
    received++;
  });
  return new Promise((resolve, reject) => {
    client.once('connect', (ack) => {
      if (ack.sessionPresent) return resolve(sub);
      client.subscribe(spec.filter, { qos: 1 }, (err) => (err ? reject(err) : resolve(sub)));
    });
  });
}

process.on('message', (m: ToSubs) => {
  switch (m.cmd) {
    case 'start':
      void Promise.all(m.spec.subs.map((k) => open(m.spec, k))).then(
        (all) => {
          subs = all;
          send({ cmd: 'ready' });
        },
        (err: Error) => send({ cmd: 'error', message: err.message }),
      );
      return;
    case 'arm':
      armed = true;
      return send({ cmd: 'status', received, connected: subs.filter((s) => s.client.connected).length });
    case 'status':
      return send({ cmd: 'status', received, connected: subs.filter((s) => s.client.connected).length });
    case 'report':
      return send({ cmd: 'report', subs: subs.map((s) => s.report) });
  }
});
process.on('disconnect', () => {
  for (const s of subs) s.client.end(true);
  process.exit(0);
});
