import { useState } from 'react';
import { call } from '../../api';
import type { EventQuery } from '../../api-types';
import { Badge, ErrorText } from '../../components/bits';
import { formatTime } from '../../format';
import { useLoad } from '../../hooks';

export function EventsTab({ id }: { id: string }): JSX.Element {
  const [code, setCode] = useState('');
  const [severity, setSeverity] = useState<EventQuery['severity'] | ''>('');
  const [q, setQ] = useState('');
  const events = useLoad(
    () =>
      call('/devices/:id/events', 'get', {
        params: { id },
        query: {
          limit: 200,
          ...(code ? { code } : {}),
          ...(severity ? { severity } : {}),
          ...(q ? { q } : {}),
        },
      }),
    [id, code, severity, q],
  );
  return (
    <section className="panel" aria-labelledby="ev-h">
      <h2 id="ev-h">Event log</h2>
      <div className="filters">
        <label>
          Code
          <input value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        <label>
          Severity
          <select
            value={severity}
            onChange={(e) => setSeverity(e.target.value as EventQuery['severity'] | '')}
          >
            <option value="">any</option>
            {['info', 'warning', 'error', 'critical'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Text
          <input value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
      </div>
      <ErrorText error={events.error} />
      {events.data?.items?.length === 0 && <p className="muted">No events match.</p>}
      <table data-testid="events">
        <thead>
          <tr>
            <th>When</th>
            <th>Severity</th>
            <th>Code</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {events.data?.items?.map((e, i) => (
            <tr key={e.id ?? i}>
              <td>{formatTime(e.ts)}</td>
              <td>
                <Badge value={e.severity} />
              </td>
              <td>{e.code}</td>
              <td title={JSON.stringify(e.fields ?? {})}>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
