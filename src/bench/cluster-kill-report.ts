/**
 * The counting of `bench cluster --only kill`, apart from the processes so it can be tested on
 * hand-made inputs: reconnect times, QoS 1 messages acknowledged to a device and never delivered to
 * a persistent subscriber (lost) or delivered twice, wills once each for exactly the devices the
 * kill disconnected, service-outs and their notifications once each for exactly the devices that
 * stayed away, and every service-out of a device that kept heartbeating (false outs).
 */
import type { DeviceReport, SubReport } from './cluster-kill-ipc.js';

const pct = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export interface ReconnectFigures {
  /** Devices whose connection the kill closed, and how many of them came back / stayed away. */
  closed: number;
  /** Of those, closed more than a second after the kill (not by the dead node's sockets closing). */
  closedLate: number;
  back: number;
  gone: number;
  /** Devices closed that neither came back nor were meant to stay away. */
  missing: number;
  /** From the kill to the last device back; p50 and p99 of each device's kill → CONNACK. */
  allBackMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Devices back whose first CONNECT after the close succeeded. */
  firstTry: number;
}

export function reconnectFigures(devices: DeviceReport[], killedAt: number): ReconnectFigures {
  const closed = devices.filter((d) => d.closedAt !== undefined);
  const back = closed.filter((d) => d.backAt !== undefined);
  const times = back.map((d) => d.backAt! - killedAt).sort((a, b) => a - b);
  return {
    closed: closed.length,
    closedLate: closed.filter((d) => d.closedAt! - killedAt > 1000).length,
    back: back.length,
    gone: closed.filter((d) => d.gone).length,
    missing: closed.filter((d) => !d.gone && d.backAt === undefined).length,
    allBackMs: times.length ? times[times.length - 1]! : NaN,
    p50Ms: pct(times, 0.5),
    p99Ms: pct(times, 0.99),
    firstTry: back.filter((d) => d.attempts === 1).length,
  };
}

export interface DeliveryFigures {
  /** Heartbeats acknowledged to the devices (PUBACK). */
  acked: number;
  /** Summed over subscribers: acknowledged, never received (must be 0). */
  lost: number;
  /** Summed over subscribers: copies received beyond the first. */
  duplicates: number;
  perSub: { id: string; received: number; lost: number; duplicates: number; dropped: number }[];
  /** A few lost messages by name, for the report. */
  examples: string[];
  /** When the earliest and latest lost message was first published (epoch ms). */
  lostSentFirst?: number;
  lostSentLast?: number;
}

export function deliveryFigures(devices: DeviceReport[], subs: SubReport[]): DeliveryFigures {
  const out: DeliveryFigures = { acked: 0, lost: 0, duplicates: 0, perSub: [], examples: [] };
  for (const d of devices) out.acked += d.acked.length;
  for (const s of subs) {
    const row = { id: s.id, received: 0, lost: 0, duplicates: 0, dropped: s.dropped };
    for (const d of devices) {
      const counts = new Map<number, number>();
      for (const seq of s.received[d.id] ?? []) counts.set(seq, (counts.get(seq) ?? 0) + 1);
      for (const c of counts.values()) {
        row.received += c;
        row.duplicates += c - 1;
      }
      for (const seq of d.acked) {
        if (counts.has(seq)) continue;
        row.lost++;
        if (out.examples.length < 5) out.examples.push(`${s.id} missed ${d.id} #${seq}`);
        const at = d.sentAt?.[seq];
        if (at !== undefined) {
          out.lostSentFirst = Math.min(out.lostSentFirst ?? at, at);
          out.lostSentLast = Math.max(out.lostSentLast ?? at, at);
        }
      }
    }
    out.lost += row.lost;
    out.duplicates += row.duplicates;
    out.perSub.push(row);
  }
  return out;
}

export interface OnceFigures {
  expected: number;
  once: number;
  missing: number;
  /** Expected, but more than once. */
  repeated: number;
  /** For ids that were not expected at all. */
  unexpected: number;
}

/** Each expected id exactly once, nothing for others (wills, service-outs). */
export function onceFigures(expected: Set<string>, seen: Map<string, number>): OnceFigures {
  const f: OnceFigures = { expected: expected.size, once: 0, missing: 0, repeated: 0, unexpected: 0 };
  for (const id of expected) {
    const n = seen.get(id) ?? 0;
    if (n === 0) f.missing++;
    else if (n === 1) f.once++;
    else f.repeated++;
  }
  for (const [id, n] of seen) if (!expected.has(id) && n > 0) f.unexpected++;
  return f;
}

/** A webhook POST as the sink received it: the `X-Tsunagu-Event-Id` header and the parsed body. */
export interface WebhookPost {
  notificationId: string;
  items: { eventId: string; deviceId?: string; at?: number; data?: { to?: string } }[];
}

export interface NotificationFigures {
  posts: number;
  /** POSTs that repeated a notification id already received (an at-least-once resend). */
  resent: number;
  /** Service-out events per device over distinct notifications and distinct event ids. */
  outs: OnceFigures;
  /** Event ids carried by two different notifications (must be 0). */
  eventIdsTwice: number;
}

export function notificationFigures(posts: WebhookPost[], gone: Set<string>): NotificationFigures {
  const byId = new Map<string, WebhookPost>();
  for (const p of posts) if (!byId.has(p.notificationId)) byId.set(p.notificationId, p);
  const eventSeen = new Map<string, number>();
  const perDevice = new Map<string, number>();
  for (const p of byId.values()) {
    for (const item of p.items) {
      eventSeen.set(item.eventId, (eventSeen.get(item.eventId) ?? 0) + 1);
      if (item.data?.to !== 'out_of_service' || item.deviceId === undefined) continue;
      if ((eventSeen.get(item.eventId) ?? 0) > 1) continue;
      perDevice.set(item.deviceId, (perDevice.get(item.deviceId) ?? 0) + 1);
    }
  }
  return {
    posts: posts.length,
    resent: posts.length - byId.size,
    outs: onceFigures(gone, perDevice),
    eventIdsTwice: [...eventSeen.values()].filter((n) => n > 1).length,
  };
}

/** Where a device was when the node died, for telling false service-outs apart. */
export interface OutContext {
  killedAt: number;
  /** The model's deadline: a device heard within it before a service-out was taken out falsely. */
  periodMs: number;
  graceMs: number;
  /** True when the device's heartbeat deadline was on the killed node's shards at the kill. */
  onVictimShards: (deviceId: string) => boolean;
}

export interface ServiceOutFigures {
  /** The devices that stayed away: each out exactly once (`unexpected`: other devices with an out). */
  stayedAway: OnceFigures;
  /**
   * Outs of devices that kept heartbeating (must be 0): a heartbeat of theirs was acknowledged
   * less than one deadline (period + grace) before the out's time, so the judge missed it.
   */
  falseOuts: number;
  falseDevices: number;
  /** Of the devices falsely out: connected to the killed node (the kill closed them), deadline on its shards. */
  falseConnectedToVictim: number;
  falseOnVictimShards: number;
  falseBoth: number;
  /** Outs of devices that did not stay away but really were silent for a whole deadline. */
  silentOuts: number;
  /** Kill → the earliest and latest false out's time (ms); NaN without any. */
  falseFirstMs: number;
  falseLastMs: number;
  /** A few false outs: device, time from the kill, how long before it the device was last heard. */
  examples: string[];
}

/** Latest acknowledged heartbeat a device first published at or before `at` (-Infinity: none). */
function heardBefore(d: DeviceReport | undefined, at: number): number {
  let last = -Infinity;
  for (const seq of d?.acked ?? []) {
    const sent = d?.sentAt?.[seq];
    if (sent !== undefined && sent <= at && sent > last) last = sent;
  }
  return last;
}

/**
 * Every service-out (`outs`: device → times of its transitions to out_of_service in the window),
 * from the history of every device or from the notifications: the devices that stayed away once
 * each, and every out of a device that kept heartbeating counted as false — however briefly it
 * was out (a device taken out and back in is not in the final out-of-service list).
 */
export function serviceOutFigures(
  outs: Map<string, number[]>,
  devices: DeviceReport[],
  ctx: OutContext,
): ServiceOutFigures {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const gone = new Set(devices.filter((d) => d.gone).map((d) => d.id));
  const deadline = ctx.periodMs + ctx.graceMs;
  const f: ServiceOutFigures = {
    stayedAway: onceFigures(gone, new Map([...outs].map(([id, at]) => [id, at.length]))),
    falseOuts: 0,
    falseDevices: 0,
    falseConnectedToVictim: 0,
    falseOnVictimShards: 0,
    falseBoth: 0,
    silentOuts: 0,
    falseFirstMs: NaN,
    falseLastMs: NaN,
    examples: [],
  };
  const times: number[] = [];
  for (const [id, ats] of [...outs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (gone.has(id) || ats.length === 0) continue;
    const d = byId.get(id);
    let falseHere = 0;
    for (const at of [...ats].sort((a, b) => a - b)) {
      const heard = heardBefore(d, at);
      if (at - heard >= deadline) {
        f.silentOuts++;
        continue;
      }
      falseHere++;
      times.push(at - ctx.killedAt);
      if (f.examples.length < 5)
        f.examples.push(
          `${id} out at +${((at - ctx.killedAt) / 1000).toFixed(1)} s, heard ${((at - heard) / 1000).toFixed(1)} s before`,
        );
    }
    if (falseHere === 0) continue;
    f.falseOuts += falseHere;
    f.falseDevices++;
    const closed = d?.closedAt !== undefined;
    const shard = ctx.onVictimShards(id);
    if (closed) f.falseConnectedToVictim++;
    if (shard) f.falseOnVictimShards++;
    if (closed && shard) f.falseBoth++;
  }
  if (times.length) {
    f.falseFirstMs = Math.min(...times);
    f.falseLastMs = Math.max(...times);
  }
  return f;
}

/** Service-out times per device from the notifications (once per distinct notification and event id). */
export function notifiedOuts(posts: WebhookPost[]): Map<string, number[]> {
  const byId = new Map<string, WebhookPost>();
  for (const p of posts) if (!byId.has(p.notificationId)) byId.set(p.notificationId, p);
  const events = new Set<string>();
  const out = new Map<string, number[]>();
  for (const p of byId.values())
    for (const item of p.items) {
      if (events.has(item.eventId)) continue;
      events.add(item.eventId);
      if (item.data?.to !== 'out_of_service' || item.deviceId === undefined) continue;
      const list = out.get(item.deviceId) ?? [];
      list.push(Number(item.at));
      out.set(item.deviceId, list);
    }
  return out;
}
