import { useState } from 'react';
import { call } from '../../api';
import { ErrorText } from '../../components/bits';
import { useLoad } from '../../hooks';

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The writes in a range (at most 400 days), optionally for one device in its own zone. */
export function PreviewPanel({
  id,
  device,
  onDevice,
}: {
  id: string;
  device: string;
  onDevice: (d: string) => void;
}): JSX.Element {
  const [from, setFrom] = useState(day(Date.now()));
  const [to, setTo] = useState(day(Date.now() + 7 * 86_400_000));
  const preview = useLoad(
    () =>
      call('/schedules/:id/preview', 'get', {
        params: { id },
        query: { from, to, ...(device ? { device } : {}) },
      }),
    [id, from, to, device],
  );
  return (
    <section className="panel scroll-x" aria-labelledby="preview-h">
      <h2 id="preview-h">Preview</h2>
      <div className="filters">
        <label>
          From
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label>
          For device (its zone)
          <input value={device} placeholder="any" onChange={(e) => onDevice(e.target.value.trim())} />
        </label>
      </div>
      <ErrorText error={preview.error} />
      <p className="muted">
        {preview.data ? `${preview.data.writes?.length ?? 0} writes, times in ${preview.data.zone}` : ''}
      </p>
      <table data-testid="preview">
        <thead>
          <tr>
            <th>Date</th>
            <th>Time</th>
            <th>Planned by</th>
            <th>Patch</th>
          </tr>
        </thead>
        <tbody>
          {preview.data?.writes?.slice(0, 500).map((w) => (
            <tr key={w.at}>
              <td>{w.date}</td>
              <td>{w.time}</td>
              <td>{w.source}</td>
              <td>
                <code>{JSON.stringify(w.patch)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
