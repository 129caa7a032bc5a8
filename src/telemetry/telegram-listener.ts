/**
 * Raw TCP telegram listener: newline-delimited text telegrams (CSV lines). A connection identifies
 * its device with a first line `HELLO <deviceId> <secret>` (checked by the injected
 * `verifyDeviceSecret`), or — only with allowAnonymous and a configured device-id field — each
 * telegram names its device in that field. Connection states:
 *   'hello'      waiting for the first line
 *   'device'     identified by HELLO; every line belongs to that device
 *   'anonymous'  every line names its device in the id field
 *   'closed'     refused or ended
 * Reading pauses while the ingest queue is behind (socket.pause) and resumes when it drains.
 */
import { type Logger, PortInUseError } from '../core/index.js';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { IngestQueue } from './ingest-queue.js';
import type { IncomingMessage, TelemetryIngest } from './service.js';
import { LineSplitter } from './line-splitter.js';

export interface TelegramListenerOptions {
  ingest: TelemetryIngest;
  queue: IngestQueue;
  log: Logger;
  verifyDeviceSecret: ((deviceId: string, secret: string) => Promise<boolean>) | undefined;
  allowAnonymous: boolean;
  /** Position of the device id in a telegram (anonymous mode). */
  deviceIdField: number | undefined;
  delimiter: string;
  maxLineBytes: number;
  idleTimeoutMs: number;
}

type ConnState = 'hello' | 'device' | 'anonymous' | 'closed';

const DEVICE_ID_RE = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** Lines decoded but not yet handed to the queue, per connection, before reading pauses. */
const MAX_LINES_IN_FLIGHT = 256;

export class TelegramListener {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  private pausedByQueue = new Set<net.Socket>();
  private unsubscribeDrain: () => void;

  constructor(private readonly o: TelegramListenerOptions) {
    this.unsubscribeDrain = o.queue.onDrained(() => {
      for (const s of this.pausedByQueue) s.resume();
      this.pausedByQueue.clear();
    });
  }

  async listen(host: string, port: number): Promise<number> {
    const server = net.createServer((s) => this.onConnection(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') reject(new PortInUseError(port, 'telegram listener', 'telegram-port'));
        else reject(err);
      });
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.unsubscribeDrain();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server?.listening) await new Promise<void>((r) => server.close(() => r()));
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    let state: ConnState = 'hello';
    let deviceId: string | undefined;
    let chain = Promise.resolve();
    let inFlight = 0;
    const topic = 'telegram';

    const refuse = (why: string): void => {
      state = 'closed';
      this.o.log.info({ remote, why }, 'telegram connection refused');
      socket.end(`ERR ${why}\n`);
    };
    const deliver = (
      msg: IncomingMessage,
      result: Promise<{ persisted: Promise<void> }> | { persisted: Promise<void> },
    ): Promise<void> =>
      Promise.resolve(result).then(
        (r) => {
          r.persisted.catch((err: unknown) =>
            this.o.log.error({ err, deviceId: msg.deviceId }, 'telegram batch could not be persisted'),
          );
          if (this.o.queue.isBehind() && !socket.isPaused()) {
            socket.pause();
            this.pausedByQueue.add(socket);
          }
        },
        (err: unknown) => this.o.log.error({ err, deviceId: msg.deviceId }, 'telegram ingest failed'),
      );

    const handleLine = async (line: Buffer): Promise<void> => {
      if (state === 'closed') return;
      if (state === 'hello') {
        const text = line.subarray(0, 6).toString('latin1');
        if (text === 'HELLO ') {
          const [, id, secret, ...rest] = line.toString('utf8').trim().split(/\s+/);
          if (!id || !secret || rest.length > 0 || !DEVICE_ID_RE.test(id))
            return refuse('expected "HELLO <deviceId> <secret>"');
          if (!this.o.verifyDeviceSecret)
            return refuse('HELLO is not accepted: no device secret verifier is configured');
          let ok = false;
          try {
            ok = await this.o.verifyDeviceSecret(id, secret);
          } catch (err) {
            this.o.log.error({ err, deviceId: id }, 'device secret verification failed');
          }
          if (!ok) return refuse('not authorized');
          state = 'device';
          deviceId = id;
          socket.write('OK\n');
          return;
        }
        if (!this.o.allowAnonymous || this.o.deviceIdField === undefined)
          return refuse('send "HELLO <deviceId> <secret>" first');
        state = 'anonymous';
      }
      const id =
        state === 'device' ? deviceId! : idFromTelegram(line, this.o.delimiter, this.o.deviceIdField!);
      if (id === undefined) {
        const msg = {
          deviceId: 'unknown',
          kind: 'telemetry' as const,
          transport: 'telegram' as const,
          topic: `telegram/${remote}`,
          payload: line,
        };
        return deliver(msg, this.o.ingest.reject(msg, `no device id in field ${this.o.deviceIdField}`));
      }
      const msg: IncomingMessage = {
        deviceId: id,
        kind: 'telemetry',
        transport: 'telegram',
        topic,
        payload: line,
      };
      return deliver(msg, this.o.ingest.accept(msg));
    };

    const enqueueLine = (work: () => Promise<void>): void => {
      inFlight++;
      if (inFlight >= MAX_LINES_IN_FLIGHT) socket.pause();
      chain = chain.then(work).finally(() => {
        inFlight--;
        if (
          inFlight < MAX_LINES_IN_FLIGHT / 2 &&
          socket.isPaused() &&
          !this.pausedByQueue.has(socket) &&
          state !== 'closed'
        )
          socket.resume();
      });
    };

    const splitter = new LineSplitter(this.o.maxLineBytes, {
      line: (line) => enqueueLine(() => handleLine(line)),
      oversized: (head, bytes) =>
        enqueueLine(async () => {
          if (state === 'closed') return;
          const id =
            deviceId ??
            (state === 'anonymous'
              ? idFromTelegram(head, this.o.delimiter, this.o.deviceIdField!)
              : undefined) ??
            'unknown';
          const msg = {
            deviceId: id,
            kind: 'telemetry' as const,
            transport: 'telegram' as const,
            topic: id === 'unknown' ? `telegram/${remote}` : topic,
            payload: head,
          };
          await deliver(
            msg,
            this.o.ingest.reject(
              msg,
              `line of ${bytes} bytes exceeds the ${this.o.maxLineBytes}-byte limit; dropped (first ${head.length} bytes kept)`,
            ),
          );
        }),
    });

    socket.setTimeout(this.o.idleTimeoutMs, () => socket.end());
    socket.on('data', (chunk: Buffer) => {
      if (state !== 'closed') splitter.push(chunk);
    });
    socket.on('end', () => {
      if (state !== 'closed') splitter.end();
      socket.end();
    });
    socket.on('error', (err) => this.o.log.debug({ err, remote }, 'telegram socket error'));
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.pausedByQueue.delete(socket);
    });
  }
}

function idFromTelegram(line: Buffer, delimiter: string, field: number): string | undefined {
  const fields = line.toString('utf8').split(delimiter, field + 1);
  const id = fields[field]?.trim();
  return id !== undefined && DEVICE_ID_RE.test(id) ? id : undefined;
}
