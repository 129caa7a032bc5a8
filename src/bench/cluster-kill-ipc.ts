/**
 * Messages between `bench cluster --only kill` (cluster-kill.ts) and its client processes: device
 * fleets (cluster-kill-fleet.ts) and persistent subscribers (cluster-kill-subs.ts), plus the
 * orchestrator's side of one such process. Times are `Date.now()` milliseconds: every process is
 * on one host, so one wall clock.
 */
import type { ChildProcess } from 'node:child_process';
import { siblingEntry, siblingNodeArgs, spawnWithFileLimit, stopChild, waitExit } from './spawn.js';

export interface KillDevice {
  id: string;
  username: string;
  secret: string;
}

export interface FleetSpec {
  port: number;
  devices: KillDevice[];
  /** Index of `devices[0]` in the whole fleet (gone devices are chosen by index). */
  indexBase: number;
  /** Source addresses to connect from (HAProxy passes them on in PROXY v2: many "devices' IPs"). */
  locals: string[];
  /** Each device publishes one QoS 1 heartbeat per period. */
  periodMs: number;
  /** CONNECTs in flight at once in this process (the pacing). */
  parallel: number;
  /** Of the devices whose connection the kill closes, every `goneEvery`-th (by index) stays away. */
  goneEvery: number;
}

export type ToFleet =
  | { cmd: 'start'; spec: FleetSpec }
  /** The kill comes next: note which connections close from now on. */
  | { cmd: 'arm' }
  /** Stop publishing new heartbeats (unacknowledged ones are still re-sent). */
  | { cmd: 'quiet' }
  | { cmd: 'status' }
  | { cmd: 'report' };

export interface FleetStatus {
  cmd: 'status';
  total: number;
  connected: number;
  /** Connections closed since `arm`. */
  closed: number;
  /** Of those, connected again. */
  back: number;
  gone: number;
  sent: number;
  acked: number;
  /** Publishes of devices still around not yet acknowledged (in flight or waiting to be re-sent). */
  unacked: number;
}

export interface DeviceReport {
  id: string;
  /** Sequence numbers the broker acknowledged (PUBACK). */
  acked: number[];
  /** Highest sequence number published. */
  sent: number;
  /** When each sequence number was first published (index = sequence number). */
  sentAt?: number[];
  /** When its connection closed after `arm`, and when a CONNACK came back after that. */
  closedAt?: number;
  backAt?: number;
  /** CONNECT attempts after the close (1 = the first try succeeded). */
  attempts: number;
  gone: boolean;
}

export type FromFleet =
  | { cmd: 'ready' }
  | FleetStatus
  | { cmd: 'report'; devices: DeviceReport[] }
  | { cmd: 'error'; message: string };

export interface SubsSpec {
  port: number;
  subs: KillDevice[];
  /** The filter each subscriber holds (QoS 1, persistent session). */
  filter: string;
}

export type ToSubs = { cmd: 'start'; spec: SubsSpec } | { cmd: 'arm' } | { cmd: 'status' } | { cmd: 'report' };

export interface SubReport {
  id: string;
  /** Per device id, the heartbeat sequence numbers received (a repeat means a duplicate). */
  received: Record<string, number[]>;
  /** Connections lost after `arm`. */
  dropped: number;
}

export type FromSubs =
  | { cmd: 'ready' }
  | { cmd: 'status'; received: number; connected: number }
  | { cmd: 'report'; subs: SubReport[] }
  | { cmd: 'error'; message: string };

type Reply = { cmd: string };
interface Waiter<From> {
  resolve(m: From): void;
  reject(err: Error): void;
}

/** One client process, asked and answered over Node IPC (one answer per request, in order per kind). */
export class ClientProcess<To extends { cmd: string }, From extends Reply> {
  private readonly waiting = new Map<string, Waiter<From>[]>();
  private failure: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: From) => {
      if (m.cmd === 'error') {
        this.fail(new Error(`bench client: ${(m as unknown as { message: string }).message}`));
        return;
      }
      this.waiting.get(m.cmd)?.shift()?.resolve(m);
    });
    child.once('exit', (code, signal) => this.fail(new Error(`bench client exited (${code ?? signal})`)));
  }

  static spawn<To extends { cmd: string }, From extends Reply>(entry: string): ClientProcess<To, From> {
    const child = spawnWithFileLimit(process.execPath, [...siblingNodeArgs(), siblingEntry(entry)], {
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    return new ClientProcess<To, From>(child);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const list of this.waiting.values()) for (const w of list.splice(0)) w.reject(this.failure);
  }

  request<C extends From['cmd']>(msg: To, reply: C, timeoutMs = 600_000): Promise<Extract<From, { cmd: C }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(reply) ?? [];
      const waiter: Waiter<From> = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<From, { cmd: C }>);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        list.splice(list.indexOf(waiter), 1);
        reject(new Error(`bench client: no ${reply} in ${timeoutMs} ms`));
      }, timeoutMs);
      list.push(waiter);
      this.waiting.set(reply, list);
      this.child.send(msg);
    });
  }

  async close(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    if (!(await waitExit(this.child, 3000))) await stopChild(this.child, 2000);
  }
}
