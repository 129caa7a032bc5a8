/**
 * Messages between the benchmark orchestrator and its client worker processes (Node IPC, JSON).
 * Times are `process.hrtime` nanoseconds as numbers: CLOCK_MONOTONIC is one clock for every process
 * on the host, so a publisher's timestamp can be compared with a subscriber's.
 */

/** `mqttjs`: the mqtt npm package; `raw`: the lean client of raw-client.ts. */
export type ClientKind = 'mqttjs' | 'raw';

/** Subscribers; each of `clients` subscribes to `topic` (`{i}` = client index). */
export interface SubSpec {
  role: 'sub';
  client: ClientKind;
  url: string;
  clients: number;
  clientPrefix: string;
  topic: string;
  qos: 0 | 1 | 2;
  /** Clean session false (mqtt.js clients only): the broker keeps and persists the session. */
  persistent?: boolean;
  /** Messages each client expects; the worker reports `done` when all have them. */
  expectPerClient: number;
  /** Read the publish timestamp from the payload and keep latency samples. */
  latency: boolean;
}

/** Publishers; each of `clients` publishes `countPerClient` messages to `topic`. */
export interface PubSpec {
  role: 'pub';
  client: ClientKind;
  url: string;
  clients: number;
  clientPrefix: string;
  topic: string;
  qos: 0 | 1 | 2;
  /** Clean session false (mqtt.js clients only). */
  persistent?: boolean;
  countPerClient: number;
  payloadSize: number;
  /** QoS 1/2: PUBLISH packets awaiting PUBACK (PUBCOMP) per client. */
  window: number;
  /** Messages per second per client; 0 = as fast as the socket takes them. */
  ratePerClient: number;
}

/** Raw mqtt-packet connections: CONNECT, SUBSCRIBE to `${topicPrefix}/${i}`, then stay idle. */
export interface IdleSpec {
  role: 'idle';
  port: number;
  connections: number;
  clientPrefix: string;
  topicPrefix: string;
  /** Connections being opened at once. */
  parallel: number;
}

export type WorkerSpec = SubSpec | PubSpec | IdleSpec;

export interface SubResult {
  role: 'sub';
  received: number;
  firstNs: number;
  lastNs: number;
  /** Latency samples in nanoseconds, only with `latency: true` (Float64 values as a plain array). */
  latencyNs?: number[];
}

export interface PubResult {
  role: 'pub';
  sent: number;
  startNs: number;
  endNs: number;
}

export interface IdleResult {
  role: 'idle';
  opened: number;
}

export type WorkerResult = SubResult | PubResult | IdleResult;

export type ToWorker = { type: 'start'; spec: WorkerSpec } | { type: 'go' } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; count: number }
  | { type: 'done'; result: WorkerResult }
  | { type: 'error'; message: string };
