/**
 * Client worker of `tsunagu bench reconnect` (forked with an IPC channel; clients live here so
 * their CPU is not the broker's). Raw MQTT 3.1.1 CONNECTs over TCP, each bound to a chosen local
 * address (127.0.0.0/8 is all local on Linux), so a fleet comes from many source addresses:
 *
 * - `herd`: every device sends CONNECT at once; one try each; the sockets stay open afterwards.
 * - `flood`: keep `concurrency` wrong-password CONNECTs in flight for `durationMs`.
 * - `probe`: one legitimate device connects and disconnects for `durationMs`; CONNACK latencies.
 */
import { connect, type Socket } from 'node:net';
import { generate } from 'mqtt-packet';

export interface Device {
  id: string;
  username: string;
  secret: string;
  local: string;
}

export type ToClients =
  | { cmd: 'herd'; port: number; devices: Device[]; timeoutMs: number }
  | { cmd: 'count-open' }
  | { cmd: 'close-all' }
  | { cmd: 'flood'; port: number; device: Device; concurrency: number; durationMs: number }
  | { cmd: 'probe'; port: number; device: Device; durationMs: number; pauseMs: number; timeoutMs: number };

/** `code`: CONNACK return code, -1 timeout, -2 socket error before CONNACK. */
export interface Attempt {
  code: number;
  ms: number;
}

export type FromClients =
  | { cmd: 'herd-done'; attempts: Attempt[] }
  | { cmd: 'open'; open: number }
  | { cmd: 'closed' }
  | { cmd: 'flood-done'; codes: Record<string, number> }
  | { cmd: 'probe-done'; attempts: Attempt[] };

const open = new Set<Socket>();

/** One CONNECT → CONNACK; resolves with the return code; the socket stays open on success. */
function tryConnect(port: number, d: Device, timeoutMs: number, keep: boolean): Promise<Attempt> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: d.local });
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (code === 0 && keep) {
        open.add(socket);
        socket.once('close', () => open.delete(socket));
      } else socket.destroy();
      resolve({ code, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish(-1), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // CONNACK: 0x20 0x02 flags returnCode [MQTT-3.2].
      if (buf.length >= 4) finish(buf[0] === 0x20 ? buf[3]! : -2);
    });
    socket.on('error', () => finish(-2));
    socket.on('close', () => finish(-2));
    socket.write(
      generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 600,
        clientId: d.id,
        username: d.username,
        password: Buffer.from(d.secret),
      }),
    );
  });
}

async function flood(m: Extract<ToClients, { cmd: 'flood' }>): Promise<Record<string, number>> {
  const codes: Record<string, number> = {};
  const until = performance.now() + m.durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < until) {
      const a = await tryConnect(m.port, m.device, 30_000, false);
      codes[a.code] = (codes[a.code] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, loop));
  return codes;
}

async function probe(m: Extract<ToClients, { cmd: 'probe' }>): Promise<Attempt[]> {
  const out: Attempt[] = [];
  const until = performance.now() + m.durationMs;
  while (performance.now() < until) {
    out.push(await tryConnect(m.port, m.device, m.timeoutMs, false));
    await new Promise((r) => setTimeout(r, m.pauseMs));
  }
  return out;
}

const reply = (m: FromClients): void => void process.send?.(m);

process.on('message', (m: ToClients) => {
  switch (m.cmd) {
    case 'herd':
      void Promise.all(m.devices.map((d) => tryConnect(m.port, d, m.timeoutMs, true))).then((attempts) =>
        reply({ cmd: 'herd-done', attempts }),
      );
      return;
    case 'count-open':
      return reply({ cmd: 'open', open: open.size });
    case 'close-all':
      for (const s of open) s.destroy();
      open.clear();
      return reply({ cmd: 'closed' });
    case 'flood':
      void flood(m).then((codes) => reply({ cmd: 'flood-done', codes }));
      return;
    case 'probe':
      void probe(m).then((attempts) => reply({ cmd: 'probe-done', attempts }));
      return;
  }
});
process.on('disconnect', () => process.exit(0));
