import { useState } from 'react';
import { get } from '../../api';
import type { DeviceEvent } from '../../api-types';
import { asItems, Badge, ErrorText } from '../../components/bits';
import { formatTime } from '../../format';
import { useLoad } from '../../hooks';

export function EventsTab({ id }: { id: string }): JSX.Element {
  const [code, setCode] = useState('');
  const [severity, setSeverity] = useState('');
  const [q, setQ] = useState('');
  const events = useLoad(
    () => get<unknown>(`/devices/${encodeURIComponent(id)}/events`, { code, severity, q, limit: 200 }),
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
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
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
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Severity</th>
            <th>Code</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {asItems<DeviceEvent>(events.data).map((e, i) => (
            <tr key={i}>
              <td>{formatTime(e.at ?? e.ts ?? e.time)}</td>
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
