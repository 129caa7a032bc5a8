import { useState } from 'react';
import { call } from '../api';
import { Badge, ErrorText } from '../components/bits';
import { formatTime } from '../format';
import { useLoad } from '../hooks';
import { ChannelsPanel } from './notify/ChannelsPanel';
import { RoutesPanel } from './notify/RoutesPanel';

/** Channels and routes (operators and admins edit; "Send a test message"), and the delivery log. */
export function NotificationsPage({ canEdit = false }: { canEdit?: boolean }): JSX.Element {
  const channels = useLoad(() => call('/notification-channels', 'get'), []);
  const routes = useLoad(() => call('/notification-routes', 'get'), []);
  const log = useLoad(() => call('/notifications', 'get', { query: { limit: 100 } }), []);
  const channelName = (id: string): string => channels.data?.find((c) => c.id === id)?.name ?? id;
  return (
    <>
      <h1>Notifications</h1>
      <ErrorText error={log.error} />
      <div className="grid2">
        <ChannelsPanel channels={channels} canEdit={canEdit} />
        <RoutesPanel routes={routes} channels={channels.data ?? []} canEdit={canEdit} />
      </div>
      <section className="panel">
        <h2>Delivery log</h2>
        {log.data?.length === 0 && <p className="muted">Nothing sent yet.</p>}
        <table data-testid="deliveries">
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th>Channel</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last attempt</th>
            </tr>
          </thead>
          <tbody>
            {(log.data ?? []).map((d) => (
              <tr key={d.id}>
                <td>{formatTime(d.createdAt)}</td>
                <td>
                  {d.kind}
                  {d.itemCount && d.itemCount > 1 ? ` ×${d.itemCount}` : ''}{' '}
                  <span className="muted">{d.reason}</span>
                  {d.id && <Message id={d.id} />}
                </td>
                <td>{d.channelId ? channelName(d.channelId) : ''}</td>
                <td>
                  <Badge value={d.status} />
                </td>
                <td>{d.attempts ?? ''}</td>
                <td className="muted">{lastAttempt(d.status, d.lastStatusCode, d.lastError)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

/** A delivered attempt reads as delivered; only a failed one shows the error and HTTP status. */
function lastAttempt(
  status: string | undefined,
  code: number | null | undefined,
  error: string | null | undefined,
): string {
  if (status === 'delivered') return code ? `delivered (HTTP ${code})` : 'delivered';
  return [error, code ? `HTTP ${code}` : undefined].filter(Boolean).join(' · ');
}

/** The message's items (what the channel was told), loaded when opened. */
function Message({ id }: { id: string }): JSX.Element {
  const [open, setOpen] = useState(false);
  const full = useLoad(
    () => (open ? call('/notifications/:id', 'get', { params: { id } }) : Promise.resolve(undefined)),
    [id, open],
  );
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>message</summary>
      <ErrorText error={full.error} />
      <ul>
        {(full.data?.items ?? []).map((it, i) => (
          <li key={it.eventId ?? i}>
            {it.severity && <Badge value={it.severity} />} {it.title ?? it.kind}
            {it.deviceId ? ` · ${it.deviceId}` : ''}
            {it.at ? <span className="muted"> · {formatTime(it.at)}</span> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}
