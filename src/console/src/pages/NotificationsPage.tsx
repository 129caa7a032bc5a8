import { useState } from 'react';
import { call } from '../api';
import { Badge, ErrorText } from '../components/bits';
import { formatTime } from '../format';
import { useLoad } from '../hooks';

/** Channels, routes and the delivery log (read-only here; manage them with the API, docs/notify.md). */
export function NotificationsPage(): JSX.Element {
  const channels = useLoad(() => call('/notification-channels', 'get'), []);
  const routes = useLoad(() => call('/notification-routes', 'get'), []);
  const log = useLoad(() => call('/notifications', 'get', { query: { limit: 100 } }), []);
  const channelName = (id: string): string => channels.data?.find((c) => c.id === id)?.name ?? id;
  return (
    <>
      <h1>Notifications</h1>
      <ErrorText error={channels.error ?? routes.error ?? log.error} />
      <div className="grid2">
        <section className="panel">
          <h2>Channels</h2>
          {channels.data?.length === 0 && (
            <p className="muted">No channel yet (POST /api/v1/notification-channels).</p>
          )}
          <table data-testid="channels">
            <tbody>
              {(channels.data ?? []).map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>
                    {c.type} {c.enabled === false && <Badge value="disabled" />}
                  </td>
                  <td className="muted">{c.url ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h2>Routes</h2>
          {routes.data?.length === 0 && <p className="muted">No route yet: nothing is sent.</p>}
          <table>
            <tbody>
              {(routes.data ?? []).map((r) => (
                <tr key={r.id}>
                  <td>{r.name}</td>
                  <td>{(r.kinds ?? []).join(', ') || 'all events'}</td>
                  <td>→ {(r.channelIds ?? []).map(channelName).join(', ')}</td>
                  <td className="muted">{r.minSeverity ? `≥ ${r.minSeverity}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
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
