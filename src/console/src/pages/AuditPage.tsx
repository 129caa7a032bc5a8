import { useState } from 'react';
import { call } from '../api';
import { ErrorText } from '../components/bits';
import { formatTime } from '../format';
import { useLoad } from '../hooks';

export function AuditPage(): JSX.Element {
  const [resource, setResource] = useState('');
  const log = useLoad(
    () => call('/audit', 'get', { query: { limit: 200, ...(resource ? { resource } : {}) } }),
    [resource],
  );
  return (
    <>
      <h1>Audit log</h1>
      <div className="filters">
        <label>
          Resource
          <input
            value={resource}
            onChange={(e) => setResource(e.target.value)}
            placeholder="e.g. devices/scooter-1"
          />
        </label>
      </div>
      <ErrorText error={log.error} />
      <section className="panel">
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Resource</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {(log.data?.items ?? []).map((a, i) => (
              <tr key={i}>
                <td>{formatTime(a.at)}</td>
                <td>{a.actor ? (a.actor.name ?? `${a.actor.kind ?? '?'}:${a.actor.id ?? '?'}`) : '—'}</td>
                <td>{a.action}</td>
                <td>{a.resource}</td>
                <td className="muted clip" title={JSON.stringify({ before: a.before, after: a.after })}>
                  {JSON.stringify(a.after ?? a.before ?? '').slice(0, 60)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
