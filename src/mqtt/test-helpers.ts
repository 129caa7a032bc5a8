/**
 * Test harness for the broker: a bare broker (no platform) on a loopback port, in-memory duplex
 * connections, and a raw packet client for protocol-level assertions.
 */
import type { AddressInfo, Server } from 'node:net';
import { Duplex } from 'node:stream';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import { DEFAULT_LIMITS, silentLogger, systemClock, type BrokerLimits, type Clock } from '../core/index.js';
import { openSqlite, type Database } from '../store/index.js';
import type { Broker } from './api.js';
import { BrokerImpl, type BrokerOptions } from './broker.js';
import { listenTcp } from './listeners.js';

export interface TestBroker {
  broker: BrokerImpl;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startTestBroker(
  opts: {
    limits?: Partial<BrokerLimits>;
    clock?: Clock;
    allowAnonymous?: boolean;
    db?: Database;
    persistence?: BrokerOptions['persistence'];
    fanOut?: BrokerOptions['fanOut'];
    sysIntervalMs?: number;
    listen?: boolean;
  } = {},
): Promise<TestBroker> {
  const db = opts.db ?? openSqlite(':memory:');
  const broker = new BrokerImpl({
    db,
    clock: opts.clock ?? systemClock,
    log: silentLogger,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    allowAnonymous: opts.allowAnonymous ?? true,
    nodeId: 'test',
    sysIntervalMs: opts.sysIntervalMs ?? 0,
    ...(opts.persistence ? { persistence: opts.persistence } : {}),
    ...(opts.fanOut ? { fanOut: opts.fanOut } : {}),
  });
  await broker.start();
  let server: Server | undefined;
  if (opts.listen !== false) server = await listenTcp(broker, '127.0.0.1', 0);
  const port = server ? (server.address() as AddressInfo).port : 0;
  return {
    broker,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      server?.close();
      await broker.close();
      if (!opts.db) await db.close();
    },
  };
}

/** Two connected in-memory duplex streams. */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (other: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        ends[other]!.push(chunk);
        cb();
      },
      final(cb) {
        ends[other]!.push(null);
        cb();
      },
    });
  ends.push(make(1), make(0));
  return [ends[0]!, ends[1]!];
}

/** A raw MQTT client over an in-memory stream: send packets or bytes, await parsed replies. */
export class RawClient {
  readonly packets: Packet[] = [];
  closed = false;
  private waiters: { pred: (p: Packet) => boolean; resolve: (p: Packet) => void }[] = [];
  private closeWaiters: (() => void)[] = [];
  private readonly stream: Duplex;
  private readonly parser = createParser();

  constructor(
    broker: Broker,
    readonly version: 3 | 4 | 5 = 4,
    remoteAddress = '10.0.0.1',
  ) {
    const [client, server] = duplexPair();
    this.stream = client;
    broker.handleConnection(server, { remoteAddress, transport: 'tcp' });
    (this.parser as unknown as { settings: { protocolVersion: number } }).settings = {
      protocolVersion: version,
    };
    this.parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      const i = this.waiters.findIndex((w) => w.pred(p));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(p);
    });
    this.parser.on('error', () => undefined);
    client.on('data', (d: Buffer) => this.parser.parse(d));
    client.on('end', () => this.onClose());
    client.on('close', () => this.onClose());
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.closeWaiters) w();
  }

  send(p: Packet): void {
    this.stream.write(generate(p, { protocolVersion: this.version }));
  }

  sendRaw(b: Buffer): void {
    this.stream.write(b);
  }

  connect(clientId: string, extra: Partial<Extract<Packet, { cmd: 'connect' }>> = {}): Promise<Packet> {
    this.send({
      cmd: 'connect',
      protocolId: this.version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: this.version,
      clientId,
      clean: true,
      keepalive: 0,
      ...extra,
    });
    return this.next('connack');
  }

  /** The next packet of this type not yet consumed (already received ones count). */
  next(cmd: Packet['cmd'], pred: (p: Packet) => boolean = () => true, timeoutMs = 2000): Promise<Packet> {
    const i = this.packets.findIndex((p) => p.cmd === cmd && pred(p));
    if (i >= 0) return Promise.resolve(this.packets.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${cmd}`)), timeoutMs);
      this.waiters.push({
        pred: (p) => p.cmd === cmd && pred(p),
        resolve: (p) => {
          clearTimeout(t);
          this.packets.splice(this.packets.indexOf(p), 1);
          resolve(p);
        },
      });
    });
  }

  waitClosed(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for close')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  end(): void {
    this.stream.end();
    this.stream.destroy();
  }
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
