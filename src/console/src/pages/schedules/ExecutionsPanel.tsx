import { useState } from 'react';
import { call } from '../../api';
import { Badge, ErrorText } from '../../components/bits';
import { useInterval, useLoad } from '../../hooks';
import { Link } from '../../router';

const STATUSES = ['', 'sent', 'offline', 'verified', 'failed', 'superseded', 'overridden'] as const;
type Status = Exclude<(typeof STATUSES)[number], ''>;

/** Executions of a schedule (or of a device over all schedules): the outcome per device and slot. */
export function ExecutionsPanel({
  scheduleId,
  deviceId,
}: {
  scheduleId?: string;
  deviceId?: string;
}): JSX.Element {
  const [status, setStatus] = useState<'' | Status>('');
  const [device, setDevice] = useState('');
  const list = useLoad(
    () =>
      scheduleId
        ? call('/schedules/:id/executions', 'get', {
            params: { id: scheduleId },
            query: { limit: 200, ...(status ? { status } : {}), ...(device ? { device } : {}) },
          })
        : call('/devices/:id/schedule-executions', 'get', {
            params: { id: deviceId ?? '' },
            query: { limit: 200, ...(status ? { status } : {}) },
          }),
    [scheduleId, deviceId, status, device],
  );
  useInterval(list.reload, 5000);
  return (
    <section className="panel scroll-x" aria-labelledby="exec-h">
      <h2 id="exec-h">Executions {list.data ? <span className="muted">({list.data.total})</span> : null}</h2>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as '' | Status)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        {scheduleId && (
          <label>
            Device
            <input
              value={device}
              onChange={(e) => setDevice(e.target.value.trim())}
              placeholder="device id"
            />
          </label>
        )}
      </div>
      <ErrorText error={list.error} />
      <table data-testid="executions">
        <thead>
          <tr>
            <th>{scheduleId ? 'Device' : 'Schedule'}</th>
            <th>Slot</th>
            <th>Patch</th>
            <th>Outcome</th>
            <th>Attempts</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items?.map((e) => (
            <tr key={e.id}>
              <td>
                {scheduleId ? (
                  <Link to={`/devices/${encodeURIComponent(e.deviceId ?? '')}`}>{e.deviceId}</Link>
                ) : (
                  <Link to={`/schedules/${encodeURIComponent(e.scheduleId ?? '')}`}>
                    {e.scheduleId?.slice(0, 8)}
                  </Link>
                )}
              </td>
              <td>
                {e.slotDate} {e.slotTime}
                {e.kind === 'startup' ? <span className="muted"> (due at start)</span> : null}
              </td>
              <td>
                <code>{JSON.stringify(e.patch)}</code>
              </td>
              <td>
                <Badge value={e.status} />
              </td>
              <td>{e.attempts}</td>
              <td>{e.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.items?.length === 0 && <p className="muted">No execution yet.</p>}
    </section>
  );
}
