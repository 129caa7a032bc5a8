/** The printed report of `bench cluster --only kill` (figures from cluster-kill-report.ts). */
import type {
  DeliveryFigures,
  NotificationFigures,
  OnceFigures,
  ReconnectFigures,
  ServiceOutFigures,
} from './cluster-kill-report.js';

export interface KillResult {
  devices: number;
  subscribers: number;
  periodMs: number;
  graceMs: number;
  /** First CONNECT to every device connected, before the kill. */
  connectMs: number;
  /** Connections per node before the kill (from /readyz presence). */
  perNode: number[];
  victim: string;
  /** HAProxy processes the devices were spread over. */
  balancers: number;
  /** Devices that stayed away whose heartbeat deadline the killed node owned (its shards). */
  goneOnVictimShards: number;
  loadAtKill: number[];
  killedAt: number;
  reconnect: ReconnectFigures;
  /** From the kill, polled every 250 ms (-1: not reached). */
  allBackMs: number;
  leasesMs: number;
  presenceMs: number;
  willsMs: number;
  outsMs: number;
  delivery: DeliveryFigures;
  wills: OnceFigures;
  /** From every device's service-state history. */
  outs: ServiceOutFigures;
  notifications: NotificationFigures;
  /** The same counting on the notifications' service-outs. */
  notifiedOuts: ServiceOutFigures;
}

const once = (f: OnceFigures): string =>
  `${f.once}/${f.expected} once, ${f.missing} missing, ${f.repeated} more than once, ${f.unexpected} for other devices`;

/** Service-outs of devices that kept heartbeating, and where those devices were at the kill. */
function falseOuts(f: ServiceOutFigures): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  const where =
    f.falseDevices === 0
      ? ''
      : ` (${f.falseConnectedToVictim} connected to the killed node, ${f.falseOnVictimShards} with their deadline ` +
        `on its shards, ${f.falseBoth} both; ${s(f.falseFirstMs)} … ${s(f.falseLastMs)} s after the kill; ` +
        `e.g. ${f.examples.join('; ')})`;
  return `**${f.falseOuts}** of ${f.falseDevices} devices${where}; ${f.silentOuts} more of devices really silent for a deadline`;
}

function lostDetail(r: KillResult): string {
  const d = r.delivery;
  if (d.lost === 0) return '';
  const rel = (t: number | undefined): string =>
    t === undefined ? '?' : ((t - r.killedAt) / 1000).toFixed(1);
  return ` (first published ${rel(d.lostSentFirst)} … ${rel(d.lostSentLast)} s from the kill; e.g. ${d.examples.join('; ')})`;
}

export function formatKillReport(r: KillResult): string {
  const rc = r.reconnect;
  const rows: [string, string][] = [
    [
      'connected before the kill',
      `${r.devices} in ${(r.connectMs / 1000).toFixed(1)} s; per node ${r.perNode.join(' / ')}`,
    ],
    [
      'killed (kill -9)',
      `${r.victim}; load average at the kill ${r.loadAtKill.map((l) => l.toFixed(2)).join(' ')}`,
    ],
    [
      'connections the kill closed',
      `${rc.closed}: ${rc.closed - rc.closedLate} at once, ${rc.closedLate} more than 1 s later; ${rc.gone} of them stay away on purpose`,
    ],
    [
      'every other device connected again',
      `${(r.allBackMs / 1000).toFixed(1)} s after the kill (${rc.missing} never came back)`,
    ],
    [
      'kill → CONNACK per device',
      `p50 ${(rc.p50Ms / 1000).toFixed(1)} s, p99 ${(rc.p99Ms / 1000).toFixed(1)} s`,
    ],
    [
      'first reconnect attempt succeeded',
      `${rc.firstTry}/${rc.back} (${((rc.firstTry / Math.max(1, rc.back)) * 100).toFixed(1)} %)`,
    ],
    ['every lease held by the survivors', `${(r.leasesMs / 1000).toFixed(1)} s after the kill`],
    ['presence exact on both survivors', `${(r.presenceMs / 1000).toFixed(1)} s after the kill`],
    ['QoS 1 heartbeats acknowledged', `${r.delivery.acked} (× ${r.subscribers} persistent subscribers)`],
    ['acknowledged, never delivered (lost)', `${r.delivery.lost}${lostDetail(r)}`],
    ['delivered twice (duplicates)', String(r.delivery.duplicates)],
    ['subscribers: dropped by the kill', r.delivery.perSub.map((s) => `${s.id} ${s.dropped}`).join(', ')],
    ['wills of the closed devices', `${once(r.wills)} (all in by ${(r.willsMs / 1000).toFixed(1)} s)`],
    [
      "service-outs (every device's history) of the devices that stayed away",
      `${once(r.outs.stayedAway)}; ${r.goneOnVictimShards} of them had their deadline on the killed node`,
    ],
    ['false service-outs (history): devices that kept heartbeating taken out', falseOuts(r.outs)],
    ['out-of-service notifications', `${once(r.notifications.outs)} (by ${(r.outsMs / 1000).toFixed(1)} s)`],
    ['false service-outs (notifications)', falseOuts(r.notifiedOuts)],
    [
      'webhook POSTs in the window, of which re-sent with a known id',
      `${r.notifications.posts}, ${r.notifications.resent}`,
    ],
    ['event ids in two notifications', String(r.notifications.eventIdsTwice)],
  ];
  return [
    `tsunagu bench cluster --only kill: 3 nodes (PostgreSQL + NATS) behind ${r.balancers} HAProxy (send-proxy-v2, /readyz checks), ` +
      `${r.devices} devices with passwords and wills, a QoS 1 heartbeat each every ${r.periodMs / 1000} s ` +
      `(deadline ${r.periodMs / 1000} + ${r.graceMs / 1000} s), ${r.subscribers} persistent QoS 1 subscribers of every heartbeat`,
    '',
    '| what | figure |',
    '| --- | --- |',
    ...rows.map(([a, b]) => `| ${a} | ${b} |`),
    '',
  ].join('\n');
}
