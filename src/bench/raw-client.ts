/**
 * A lean MQTT 3.1.1 client for the throughput workloads (`--client raw`): PUBLISH packets are built
 * from a pre-encoded header and written in batches, and incoming packets are framed by a tiny scanner
 * instead of a full parser. mqtt.js costs several microseconds per message on each side, which on a
 * busy 2-core host can make the clients, not the broker, the bottleneck.
 */
import { generate, type IConnectPacket } from 'mqtt-packet';
import { connect, type Socket } from 'node:net';

export interface RawPacket {
  /** First byte of the fixed header (type << 4 | flags). */
  header: number;
  /** The packet after the fixed header. */
  body: Buffer;
}

/** Frames MQTT packets out of a byte stream; keeps a partial packet across chunks. */
export class PacketScanner {
  private rest: Buffer | undefined;

  constructor(private readonly onPacket: (p: RawPacket) => void) {}

  push(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let off = 0;
    while (off < buf.length) {
      // Remaining Length: up to 4 bytes, 7 bits each [MQTT-2.2.3].
      let len = 0;
      let mul = 1;
      let i = off + 1;
      let complete = false;
      while (i < buf.length && i < off + 5) {
        const b = buf[i++]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || i + len > buf.length) break;
      this.onPacket({ header: buf[off]!, body: buf.subarray(i, i + len) });
      off = i + len;
    }
    if (off < buf.length) this.rest = Buffer.from(buf.subarray(off));
  }
}

function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Encodes PUBLISH packets to one topic with a fixed payload size; the payload starts with a timestamp. */
export class PublishEncoder {
  private readonly head0: Buffer;
  private readonly head1: Buffer;
  readonly size0: number;
  readonly size1: number;

  constructor(
    topic: string,
    private readonly payloadSize: number,
  ) {
    const t = Buffer.from(topic);
    const build = (qos: 0 | 1): Buffer => {
      const rem = 2 + t.length + (qos ? 2 : 0) + payloadSize;
      return Buffer.from([0x30 | (qos << 1), ...remainingLength(rem), t.length >> 8, t.length & 0xff, ...t]);
    };
    this.head0 = build(0);
    this.head1 = build(1);
    this.size0 = this.head0.length + payloadSize;
    this.size1 = this.head1.length + 2 + payloadSize;
  }

  /** Write a QoS 0 PUBLISH at `buf[off]`; returns the offset after it. */
  qos0(buf: Buffer, off: number, seq: number): number {
    this.head0.copy(buf, off);
    return this.payload(buf, off + this.head0.length, seq);
  }

  qos1(buf: Buffer, off: number, seq: number, packetId: number): number {
    this.head1.copy(buf, off);
    off += this.head1.length;
    buf.writeUInt16BE(packetId, off);
    return this.payload(buf, off + 2, seq);
  }

  private payload(buf: Buffer, off: number, seq: number): number {
    buf.fill(0, off, off + this.payloadSize);
    buf.writeBigUInt64BE(process.hrtime.bigint(), off);
    buf.writeUInt32BE(seq >>> 0, off + 8);
    return off + this.payloadSize;
  }
}

export interface RawClient {
  socket: Socket;
  /** Called for every packet after CONNACK. */
  onPacket: (p: RawPacket) => void;
}

/** Connect with CONNECT → CONNACK (return code 0), keep-alive off. */
/**
 * A 3.1.1 CONNECT with a clean session and keep-alive 0 (the broker expects no PINGREQ), plus
 * what a caller adds: credentials, a will.
 */
export function connectPacket(
  clientId: string,
  extra: Pick<IConnectPacket, 'username' | 'password' | 'will'> = {},
): Buffer {
  return generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 0,
    clientId,
    ...extra,
  });
}

export function rawConnect(url: string, clientId: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setNoDelay(true);
    const client: RawClient = { socket, onPacket: () => undefined };
    let connected = false;
    const scanner = new PacketScanner((p) => {
      if (connected) return client.onPacket(p);
      if (p.header >> 4 !== 2 || p.body[1] !== 0) {
        socket.destroy();
        return reject(new Error(`${clientId}: CONNACK refused (${p.body[1]})`));
      }
      connected = true;
      socket.removeListener('error', reject);
      resolve(client);
    });
    socket.on('data', (d: Buffer) => scanner.push(d));
    socket.once('error', reject);
    socket.write(connectPacket(clientId));
  });
}

/** SUBSCRIBE and wait for the SUBACK; afterwards `client.onPacket` sees the PUBLISH packets. */
export function rawSubscribe(client: RawClient, topic: string, qos: 0 | 1): Promise<void> {
  return new Promise((resolve, reject) => {
    client.onPacket = (p) => {
      if (p.header >> 4 !== 9) return;
      if (p.body[2] === 0x80) reject(new Error(`SUBSCRIBE ${topic} refused`));
      else resolve();
    };
    client.socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] }));
  });
}

/** Byte offset of the payload in a PUBLISH body, and its packet id (0 for QoS 0). */
export function publishLayout(p: RawPacket): { payloadAt: number; packetId: number } {
  const topicLen = p.body.readUInt16BE(0);
  const qos = (p.header >> 1) & 3;
  if (qos === 0) return { payloadAt: 2 + topicLen, packetId: 0 };
  return { payloadAt: 4 + topicLen, packetId: p.body.readUInt16BE(2 + topicLen) };
}

export function puback(packetId: number): Buffer {
  return Buffer.from([0x40, 0x02, packetId >> 8, packetId & 0xff]);
}
