/** Message bodies: Slack Block Kit and the generic webhook JSON. */
import type { Channel, Notification, NotifyItem } from './types.js';

/** Items listed inline; the rest are one link away (`/api/v1/notifications/{id}`). */
const INLINE = 10;
const WEBHOOK_ITEMS = 1000;

const iso = (ms: number): string => new Date(ms).toISOString();

export function links(channel: Channel, n: Notification): { device: (id: string) => string; full: string } {
  const base = (channel.consoleUrl ?? '').replace(/\/+$/, '');
  return {
    device: (id) => `${base}/devices/${encodeURIComponent(id)}`,
    full: `${base}/api/v1/notifications/${n.id}`,
  };
}

/** "500 devices went out of service (heartbeat_lost)" for a storm; the item title for one event. */
export function headline(n: Notification, items: readonly NotifyItem[]): string {
  const first = items[0];
  if (items.length === 1 && first) return first.title;
  const count = n.itemCount;
  switch (n.kind) {
    case 'service-state.changed':
      return n.reason === 'back_in_service'
        ? `${count} devices back in service`
        : `${count} devices went out of service (${n.reason})`;
    case 'health.alert':
      return `${count} health alerts (${n.reason})`;
    case 'device.flapping':
      return `${count} devices are flapping`;
    case 'device.event':
      return `${count} device events (${n.reason})`;
    default:
      return `${count} × ${first?.title ?? n.kind}`;
  }
}

export function slackMessage(
  channel: Channel,
  n: Notification,
  items: readonly NotifyItem[],
): Record<string, unknown> {
  const l = links(channel, n);
  const title = headline(n, items);
  const first = items[0];
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
  ];
  if (items.length === 1 && first) {
    const fields = [
      first.deviceId !== undefined ? `*Device*\n<${l.device(first.deviceId)}|${first.deviceId}>` : undefined,
      first.model !== undefined ? `*Model*\n${first.model}` : undefined,
      `*Reason*\n${first.reason}`,
      `*Since*\n${iso(first.since ?? first.at)}`,
      `*Severity*\n${first.severity}`,
    ].filter((f): f is string => f !== undefined);
    blocks.push({ type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) });
  } else {
    const lines = items.slice(0, INLINE).map((i) => {
      const dev = i.deviceId !== undefined ? `<${l.device(i.deviceId)}|${i.deviceId}>` : i.title;
      return `• ${dev}${i.model !== undefined ? ` (${i.model})` : ''} since ${iso(i.since ?? i.at)}`;
    });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } });
    if (n.itemCount > INLINE)
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: `…and ${n.itemCount - INLINE} more: <${l.full}|full list>` },
      });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Tsunagu · ${n.kind} · notification ${n.id}` }],
  });
  return { text: title, blocks };
}

export function webhookBody(
  channel: Channel,
  n: Notification,
  items: readonly NotifyItem[],
): Record<string, unknown> {
  const l = links(channel, n);
  return {
    id: n.id,
    kind: n.kind,
    reason: n.reason,
    title: headline(n, items),
    createdAt: n.createdAt,
    count: n.itemCount,
    items: items.slice(0, WEBHOOK_ITEMS),
    truncated: n.itemCount > WEBHOOK_ITEMS,
    fullListUrl: l.full,
  };
}
