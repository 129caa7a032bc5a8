/**
 * CSV telegrams of older scooter hardware, sent over raw TCP: first `HELLO <deviceId> <secret>`,
 * then one line per report. The layout follows the telemetry module's decoder definition
 * `src/telemetry/fixtures/scooter-telegram.yaml` (26 positions; the last one a checksum over the
 * text before the last comma). Field values are plausible, not measured.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { TelegramChecksum } from './profile.js';

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR (check "123456789" = 0x29B1). */
export function crc16Ccitt(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const b of buf) {
    crc ^= b << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export function xor8(buf: Uint8Array): number {
  let x = 0;
  for (const b of buf) x ^= b;
  return x;
}

/** The state of a scooter a telegram reports. */
export interface TelegramState {
  lockState: 'locked' | 'unlocked' | 'riding';
  speedKmh: number;
  tripKm: number;
  /** undefined while the GPS has no fix (the positions are then empty). */
  position: { lat: number; lon: number; heading: number } | undefined;
  /** Bits of the hardware status word (bit 0 motor fault, 1 brake sensor, …). */
  hwStatus: number;
  odometerKm: number;
  batteryPct: number;
  batteryTempC: number;
  /** Controller error code, 0 = none (11 overcurrent, 21 BMS overtemp, 35 hall sensor). */
  errorCode: number;
  lightsOn: boolean;
  rssiDbm: number;
}

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

/** Format one telegram line (without the newline). */
export function formatTelegram(s: TelegramState, algorithm: TelegramChecksum): string {
  const lock = s.lockState === 'locked' ? 0 : s.lockState === 'unlocked' ? 1 : 2;
  const fix = s.position;
  const commStatus = fix ? 0 : 1 << 4; // bit 4: GPS has no fix
  const fields = [
    String(lock),
    s.speedKmh.toFixed(1),
    '1',
    s.tripKm.toFixed(1),
    fix ? fix.lat.toFixed(6) : '',
    fix ? fix.lon.toFixed(6) : '',
    fix ? '34' : '',
    fix ? fix.heading.toFixed(0) : '',
    hex4(s.hwStatus),
    hex4(commStatus),
    '16B0',
    String(Math.round(s.odometerKm * 100)).padStart(8, '0'),
    `${Math.round(s.batteryTempC)}&${Math.round(s.batteryPct)}`,
    String(s.rssiDbm > -80 ? 4 : 2),
    String(Math.round(s.batteryTempC + 15)),
    lock === 0 ? '1' : '0',
    String(Math.round(42000 + s.batteryPct * 126)),
    '4053',
    String(Math.round(-s.rssiDbm)),
    String(s.errorCode),
    '0',
    s.lightsOn ? '1' : '0',
    '',
    '0.0&0.00&0',
    '100',
  ];
  const body = fields.join(',');
  switch (algorithm) {
    case 'none':
      return body;
    case 'crc16-ccitt':
      return `${body},${hex4(crc16Ccitt(Buffer.from(body)))}`;
    case 'xor8':
      return `${body},${xor8(Buffer.from(body)).toString(16).toUpperCase().padStart(2, '0')}`;
  }
}

/** A raw TCP telegram connection. Fire and forget: the listener sends nothing back. */
export class TelegramLink {
  onClose: (err: Error | undefined) => void = () => {};
  private isClosed = false;
  private endedByUs = false;

  readonly closed: Promise<void>;

  /** The listener's `ERR <why>` line, when it refused us. */
  refusal: string | undefined;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    // The platform's listener answers HELLO with `OK` or `ERR <why>` and then closes.
    let pending = '';
    socket.on('data', (d: Buffer) => {
      pending = (pending + d.toString('utf8')).slice(-1024);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('ERR')) this.refusal = l.slice(3).trim();
    });
    socket.on('close', () => {
      if (this.isClosed) return;
      this.isClosed = true;
      const why =
        this.refusal === undefined ? 'telegram connection closed' : `telegram refused: ${this.refusal}`;
      this.onClose(this.endedByUs ? undefined : new Error(why));
    });
  }

  /**
   * Connect and say HELLO. The platform's listener answers `OK` or `ERR <why>`; a telegram sent
   * before `OK` would be refused, so wait for the answer — but a listener that never answers gets
   * the telegrams after `silentAfterMs`.
   */
  static open(
    host: string,
    port: number,
    deviceId: string,
    secret: string,
    timeoutMs: number,
    silentAfterMs = 500,
  ): Promise<TelegramLink> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port, noDelay: true });
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('data', onData);
        fn();
      };
      const timer = setTimeout(() => {
        socket.destroy();
        settle(() => reject(new Error(`telegram connect to ${host}:${port} timed out`)));
      }, timeoutMs);
      timer.unref();
      let answer = '';
      const onData = (d: Buffer): void => {
        answer += d.toString('utf8');
        const nl = answer.indexOf('\n');
        if (nl < 0) return;
        const line = answer.slice(0, nl).trim();
        if (line.startsWith('ERR')) {
          socket.destroy();
          settle(() => reject(new Error(`telegram refused: ${line.slice(3).trim()}`)));
        } else settle(() => resolve(new TelegramLink(socket)));
      };
      socket.on('data', onData);
      socket.once('error', (err) => settle(() => reject(err)));
      socket.once('close', () => settle(() => reject(new Error('telegram connection closed before OK'))));
      socket.once('connect', () => {
        socket.write(`HELLO ${deviceId} ${secret}\n`);
        setTimeout(() => settle(() => resolve(new TelegramLink(socket))), silentAfterMs).unref();
      });
    });
  }

  get open(): boolean {
    return !this.isClosed;
  }

  send(line: string): void {
    if (!this.isClosed) this.socket.write(`${line}\n`);
  }

  end(): void {
    this.endedByUs = true;
    this.socket.end();
    this.socket.setTimeout(1000, () => this.socket.destroy());
  }

  drop(): void {
    this.endedByUs = true;
    this.socket.destroy();
  }
}
