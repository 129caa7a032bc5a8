import { get } from '../api';
import { asItems, Badge, ErrorText } from '../components/bits';
import { formatTime } from '../format';
import { useLoad } from '../hooks';

interface Channel {
  id: string;
  name: string;
  type: string;
  url?: string;
}
interface Route {
  id: string;
  channelId?: string;
  channel?: string;
  kinds?: string[];
  events?: string[];
  minSeverity?: string;
}
interface Delivery {
  id: string;
  kind?: string;
  channelId?: string;
  status: string;
  attempts?: number;
  createdAt?: number;
  lastError?: string | null;
  title?: string;
  summary?: string;
}

export function NotificationsPage(): JSX.Element {
  const channels = useLoad(() => get<unknown>('/notification-channels'), []);
  const routes = useLoad(() => get<unknown>('/notification-routes'), []);
  const log = useLoad(() => get<unknown>('/notifications', { limit: 100 }), []);
  return (
    <>
      <h1>Notifications</h1>
      <ErrorText error={channels.error ?? routes.error ?? log.error} />
      <div className="grid2">
        <section className="panel">
          <h2>Channels</h2>
          <table>
            <tbody>
              {asItems<Channel>(channels.data).map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{c.type}</td>
                  <td className="muted">{c.url ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h2>Routes</h2>
          <table>
            <tbody>
              {asItems<Route>(routes.data).map((r) => (
                <tr key={r.id}>
                  <td>{(r.kinds ?? r.events ?? []).join(', ') || 'all events'}</td>
                  <td>→ {r.channelId ?? r.channel}</td>
                  <td className="muted">{r.minSeverity ? `≥ ${r.minSeverity}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <section className="panel">
        <h2>Delivery log</h2>
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last error</th>
            </tr>
          </thead>
          <tbody>
            {asItems<Delivery>(log.data).map((d) => (
              <tr key={d.id}>
                <td>{formatTime(d.createdAt)}</td>
                <td>{d.title ?? d.summary ?? d.kind}</td>
                <td>
                  <Badge value={d.status} />
                </td>
                <td>{d.attempts ?? ''}</td>
                <td className="muted">{d.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
