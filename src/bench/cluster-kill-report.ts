/**
 * The counting of `bench cluster --only kill`, apart from the processes so it can be tested on
 * hand-made inputs: reconnect times, QoS 1 messages acknowledged to a device and never delivered to
 * a persistent subscriber (lost) or delivered twice, wills once each for exactly the devices the
 * kill disconnected, service-outs and their notifications once each for exactly the devices that
 * stayed away.
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
