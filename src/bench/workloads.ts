/**
 * The workloads of the broker benchmark. Each runs against one broker with clients in worker
 * processes, is bounded by a message count and a hard timeout, and reads the broker's CPU time from
 * /proc around the measured part only (after every client is connected and subscribed).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerTarget } from './brokers.js';
import { heapUsedAfterGc } from './heap-probe.js';
import { averageBytes, marginalBytes, type MemoryReading } from './idle-memory.js';
import type { ClientKind, IdleSpec, PubSpec, SubResult, SubSpec, PubResult } from './ipc.js';
import { readCpuSeconds, readRssBytes } from './proc-stats.js';
import { summarizeLatencyNs, type LatencySummary } from './stats.js';
import { startWorkers, WorkerHandle } from './worker-handle.js';

/** Sizes of one run; `QUICK_SCALE` is a smoke run, `FULL_SCALE` the real one. */
export interface Scale {
  /** QoS 0 one-to-one and fan-in: messages in total. */
  qos0Messages: number;
  fanInPublishers: number;
  qos1Messages: number;
  qos1Window: number;
  /** Persistent-session QoS 1 and QoS 2 workloads: messages each (mqtt.js clients). */
  persistentMessages: number;
  fanOutSubscribers: number;
  /** Messages the fan-out publisher sends; deliveries = this × subscribers. */
  fanOutMessages: number;
  latencyRates: number[];
  latencySeconds: number;
  /**
   * Idle connections open at each memory reading (ascending, at least two): the figure is the
   * slope between the readings (idle-memory.ts), not memory over the count.
   */
  idleConnections: number[];
  /** Hard limit per step of the idle connections (10,000 connections take a minute on a busy host). */
  idleTimeoutMs: number;
  /** Hard limit per workload and broker. */
  timeoutMs: number;
  /** Unmeasured QoS 0 messages per broker before the first workload (JIT warm-up); 0 = none. */
  warmupMessages: number;
  /** Wait before reading RSS, before and after opening the idle connections. */
  settleMs: number;
  payloadSize: number;
  /** Client library of the message workloads (the idle connections are always raw). */
  client: ClientKind;
}

export const FULL_SCALE: Scale = {
  qos0Messages: 200_000,
  fanInPublishers: 16,
  qos1Messages: 50_000,
  qos1Window: 128,
  persistentMessages: 20_000,
  fanOutSubscribers: 1000,
  fanOutMessages: 200,
  latencyRates: [1000, 10_000, 50_000],
  latencySeconds: 3,
  idleConnections: [5000, 15_000],
  idleTimeoutMs: 180_000,
  timeoutMs: 60_000,
  warmupMessages: 20_000,
  settleMs: 2000,
  payloadSize: 16,
  client: 'mqttjs',
};

export const QUICK_SCALE: Scale = {
  qos0Messages: 10_000,
  fanInPublishers: 4,
  qos1Messages: 2000,
  qos1Window: 64,
  persistentMessages: 2000,
  fanOutSubscribers: 20,
  fanOutMessages: 50,
  latencyRates: [1000, 10_000, 50_000],
  latencySeconds: 0.5,
  idleConnections: [250, 750],
  idleTimeoutMs: 20_000,
  timeoutMs: 20_000,
  warmupMessages: 5000,
  settleMs: 1000,
  payloadSize: 16,
  client: 'mqttjs',
};

export interface FlowResult {
  /** Messages the publishers sent (QoS 1: acknowledged). */
  sent: number;
  /** Deliveries expected at the subscribers (sent × subscribers). */
  expected: number;
  delivered: number;
  /** First publish to last delivery, seconds. */
  seconds: number;
  /** Delivered messages per second. */
  rate: number;
  brokerCpuSeconds: number;
  /** Broker CPU microseconds per delivered message. */
  cpuUsPerMsg: number;
  latency?: LatencySummary;
  timedOut: boolean;
  /**
   * How the wait for deliveries ended: every expected message arrived, nothing arrived for
   * STALL_MS after the publishers finished (the rest counts as lost), or the time limit.
   */
  endedBy: 'complete' | 'stall' | 'timeout';
}

export interface IdleResult {
  /** Connections asked for at the last step, and those open at the last reading. */
  requested: number;
  connections: number;
  /** RSS before the first connection (after a full GC on Node brokers). */
  rssBeforeBytes: number;
  /** One reading per step of `Scale.idleConnections`, with the connections then open. */
  readings: MemoryReading[];
  /** Marginal RSS per connection: the slope between the readings. */
  bytesPerConnection: number;
  /** Marginal V8 heap used (after a full GC) per connection; Node brokers only. */
  heapBytesPerConnection?: number;
  /** The old figure (RSS at the last step − RSS before) / connections, for comparison only. */
  averageBytesPerConnection: number;
  /** Not every connection was open (CONNACK + SUBACK) within the time limit. */
  timedOut: boolean;
}

interface FlowPlan {
  subs: SubSpec[];
  pubs: PubSpec[];
}

/** Seconds without a new delivery, after the publishers finished, before the rest counts as lost. */
export const STALL_MS = 5000;

let runSeq = 0;

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

async function runFlow(broker: BrokerTarget, plan: FlowPlan, timeoutMs: number): Promise<FlowResult> {
  const workers: WorkerHandle[] = [];
  try {
    // Publishers connect alongside the subscribers but send nothing before `go`, which follows
    // every subscriber's SUBACK.
    const all = await startWorkers([...plan.subs, ...plan.pubs], timeoutMs);
    workers.push(...all);
    const subs = all.slice(0, plan.subs.length);
    const pubs = all.slice(plan.subs.length);
    const deadline = Date.now() + timeoutMs;
    const cpu0 = readCpuSeconds(broker.pid);
    for (const p of pubs) p.send({ type: 'go' });

    let timedOut = false;
    let endedBy: FlowResult['endedBy'] = 'complete';
    // The deadline's timer is cancelled once the publishers are done (else it kept the process
    // alive for `timeoutMs` after the last workload).
    const deadlineTimer = new AbortController();
    const pubResults = await Promise.race([
      Promise.all(pubs.map((p) => p.done)),
      sleep(Math.max(0, deadline - Date.now()), undefined, { signal: deadlineTimer.signal }).then(
        () => undefined,
        () => undefined,
      ),
    ]);
    deadlineTimer.abort();
    if (!pubResults) timedOut = true;
    const pubsDoneAt = Date.now();
    for (;;) {
      if (subs.every((s) => s.result)) break;
      const now = Date.now();
      if (now >= deadline) {
        timedOut = true;
        break;
      }
      const lastProgress = Math.max(pubsDoneAt, ...subs.map((s) => s.progressAt));
      if (pubResults && now - lastProgress > STALL_MS) {
        endedBy = 'stall';
        break;
      }
      await sleep(50);
    }
    const cpu1 = readCpuSeconds(broker.pid);
    for (const s of subs) s.send({ type: 'stop' });
    const subResults = (await Promise.all(subs.map((s) => s.done))) as SubResult[];

    const sentList = pubResults ? (pubResults as PubResult[]) : [];
    const sent = pubResults
      ? sentList.reduce((a, r) => a + r.sent, 0)
      : plan.pubs.reduce((a, p) => a + p.clients * p.countPerClient, 0);
    const startNs = sentList.length ? Math.min(...sentList.map((r) => r.startNs)) : 0;
    const delivered = subResults.reduce((a, r) => a + r.received, 0);
    const lastNs = Math.max(...subResults.map((r) => r.lastNs));
    const seconds = delivered > 0 && startNs > 0 ? (lastNs - startNs) / 1e9 : NaN;
    const subscribersPerMessage = plan.subs.reduce((a, s) => a + s.clients, 0);
    // Fan-in: every subscriber sees every publisher's messages; fan-out: every message reaches every
    // subscriber. Both are sent × subscribers.
    const expected = sent * subscribersPerMessage;
    const samples = subResults.flatMap((r) => r.latencyNs ?? []);
    const cpu = cpu1 - cpu0;
    return {
      sent,
      expected,
      delivered,
      seconds,
      rate: delivered / seconds,
      brokerCpuSeconds: cpu,
      cpuUsPerMsg: delivered > 0 ? (cpu * 1e6) / delivered : NaN,
      ...(samples.length ? { latency: summarizeLatencyNs(Float64Array.from(samples)) } : {}),
      timedOut,
      endedBy: timedOut ? 'timeout' : endedBy,
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

function names(kind: string): { topic: string; prefix: string } {
  const id = `${process.pid}-${++runSeq}`;
  return { topic: `bench/${id}/${kind}`, prefix: `bench-${id}-${kind}` };
}

function sub(
  broker: BrokerTarget,
  topic: string,
  prefix: string,
  scale: Scale,
  over: Partial<SubSpec>,
): SubSpec {
  return {
    role: 'sub',
    client: scale.client,
    url: broker.url,
    clients: 1,
    clientPrefix: `${prefix}-sub`,
    topic,
    qos: 0,
    expectPerClient: 0,
    latency: false,
    ...over,
  };
}

function pub(
  broker: BrokerTarget,
  topic: string,
  prefix: string,
  scale: Scale,
  over: Partial<PubSpec>,
): PubSpec {
  return {
    role: 'pub',
    client: scale.client,
    url: broker.url,
    clients: 1,
    clientPrefix: `${prefix}-pub`,
    topic,
    qos: 0,
    countPerClient: 0,
    payloadSize: scale.payloadSize,
    window: scale.qos1Window,
    ratePerClient: 0,
    ...over,
  };
}

export function qos0OneToOne(
  broker: BrokerTarget,
  scale: Scale,
  count = scale.qos0Messages,
): Promise<FlowResult> {
  const { topic, prefix } = names('q0');
  return runFlow(
    broker,
    {
      subs: [sub(broker, topic, prefix, scale, { expectPerClient: count })],
      pubs: [pub(broker, topic, prefix, scale, { countPerClient: count })],
    },
    scale.timeoutMs,
  );
}

/** Many publishers in a few worker processes (four clients each) → one subscriber. */
export function qos0FanIn(broker: BrokerTarget, scale: Scale): Promise<FlowResult> {
  const { topic, prefix } = names('fanin');
  const perPublisher = Math.floor(scale.qos0Messages / scale.fanInPublishers);
  const processes = Math.ceil(scale.fanInPublishers / 4);
  return runFlow(
    broker,
    {
      subs: [sub(broker, topic, prefix, scale, { expectPerClient: perPublisher * scale.fanInPublishers })],
      pubs: split(scale.fanInPublishers, processes).map((clients, i) =>
        pub(broker, topic, `${prefix}-${i}`, scale, { clients, countPerClient: perPublisher }),
      ),
    },
    scale.timeoutMs,
  );
}

export function qos1OneToOne(broker: BrokerTarget, scale: Scale): Promise<FlowResult> {
  const { topic, prefix } = names('q1');
  return runFlow(
    broker,
    {
      subs: [sub(broker, topic, prefix, scale, { qos: 1, expectPerClient: scale.qos1Messages })],
      pubs: [pub(broker, topic, prefix, scale, { qos: 1, countPerClient: scale.qos1Messages })],
    },
    scale.timeoutMs,
  );
}

/**
 * Persistent sessions (clean session false) on both sides, QoS 1 or QoS 2, one publisher with a
 * window → one subscriber: every message is written to the broker's store (Tsunagu: SQLite or
 * PostgreSQL, acknowledged once committed) before it is acknowledged and delivered. Always mqtt.js
 * clients (the raw client has no QoS 2 or persistent sessions).
 */
export function persistentOneToOne(broker: BrokerTarget, scale: Scale, qos: 1 | 2): Promise<FlowResult> {
  const { topic, prefix } = names(`persistent-q${qos}`);
  const n = scale.persistentMessages;
  const s = { ...scale, client: 'mqttjs' as const };
  return runFlow(
    broker,
    {
      subs: [sub(broker, topic, prefix, s, { qos, persistent: true, expectPerClient: n })],
      pubs: [pub(broker, topic, prefix, s, { qos, persistent: true, countPerClient: n })],
    },
    scale.timeoutMs,
  );
}

/** One publisher → many subscribers, 250 subscribers per worker process. */
export function fanOut(broker: BrokerTarget, scale: Scale): Promise<FlowResult> {
  const { topic, prefix } = names('fanout');
  const processes = Math.ceil(scale.fanOutSubscribers / 250);
  return runFlow(
    broker,
    {
      subs: split(scale.fanOutSubscribers, processes).map((clients, i) =>
        sub(broker, topic, `${prefix}-${i}`, scale, { clients, expectPerClient: scale.fanOutMessages }),
      ),
      pubs: [pub(broker, topic, prefix, scale, { countPerClient: scale.fanOutMessages })],
    },
    scale.timeoutMs,
  );
}

/** QoS 0 at a fixed rate; the payload carries the publish time, the subscriber measures the delay. */
export function latencyAtRate(broker: BrokerTarget, scale: Scale, rate: number): Promise<FlowResult> {
  const { topic, prefix } = names(`lat${rate}`);
  const count = Math.max(1, Math.round(rate * scale.latencySeconds));
  return runFlow(
    broker,
    {
      subs: [sub(broker, topic, prefix, scale, { expectPerClient: count, latency: true })],
      pubs: [pub(broker, topic, prefix, scale, { countPerClient: count, ratePerClient: rate })],
    },
    scale.timeoutMs,
  );
}

/** RSS, and on a Node broker run with the inspector the heap after a full GC (RSS read after it). */
async function readMemory(broker: BrokerTarget, connections: number): Promise<MemoryReading> {
  const heap = broker.inspectPort === undefined ? undefined : await heapUsedAfterGc(broker.inspectPort);
  return {
    connections,
    rssBytes: readRssBytes(broker.pid),
    ...(heap === undefined ? {} : { heapUsedBytes: heap }),
  };
}

/**
 * Memory per idle connection: raw mqtt-packet clients (four worker processes per step), each
 * subscribed to a topic of its own, opened in steps (`scale.idleConnections`, e.g. 5,000 then
 * 15,000); after each step and a settle, the broker's memory is read. The figure is the slope
 * between the steps (idle-memory.ts), so fixed costs such as V8's young-generation growth do not
 * count as per-connection cost. Node brokers started with `inspect` get a full GC before each
 * reading (the same for Tsunagu and a baseline) and report their heap as well.
 */
export async function idleConnections(broker: BrokerTarget, scale: Scale): Promise<IdleResult> {
  const { topic, prefix } = names('idle');
  const steps = scale.idleConnections;
  await sleep(scale.settleMs / 2);
  const before = (await readMemory(broker, 0)).rssBytes;
  const workers: WorkerHandle[] = [];
  const readings: MemoryReading[] = [];
  let timedOut = false;
  try {
    let open = 0;
    for (const [k, target] of steps.entries()) {
      const n = target - open;
      if (n <= 0) continue;
      const processes = Math.min(4, Math.max(1, Math.ceil(n / 500)));
      const batch = split(n, processes).map((connections, i) =>
        WorkerHandle.spawn({
          role: 'idle',
          port: broker.port,
          connections,
          clientPrefix: `${prefix}-${k}-${i}`,
          topicPrefix: `${topic}/${k}-${i}`,
          parallel: 32,
        } satisfies IdleSpec),
      );
      workers.push(...batch);
      // A slow broker still gets a figure: after the time limit, memory is read with what is open.
      const deadline = Date.now() + scale.idleTimeoutMs;
      const ready = await Promise.all(batch.map((w) => w.waitReady(Math.max(0, deadline - Date.now()))));
      if (ready.includes(false)) timedOut = true;
      await sleep(scale.settleMs);
      open = workers.reduce((a, w) => a + w.progress, 0);
      readings.push(await readMemory(broker, open));
      if (timedOut) break;
      open = target;
    }
    const last = readings[readings.length - 1] ?? { connections: 0, rssBytes: before };
    const heap = marginalBytes(readings, (r) => r.heapUsedBytes);
    return {
      requested: steps[steps.length - 1] ?? 0,
      connections: last.connections,
      rssBeforeBytes: before,
      readings,
      bytesPerConnection: marginalBytes(readings, (r) => r.rssBytes) ?? NaN,
      ...(heap === undefined ? {} : { heapBytesPerConnection: heap }),
      averageBytesPerConnection: averageBytes(before, last),
      timedOut,
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
