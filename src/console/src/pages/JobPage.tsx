import { useState } from 'react';
import { ApiError, call } from '../api';
import type { Res } from '../api-types';
import { Badge, ErrorText } from '../components/bits';
import { formatTime } from '../format';
import { useInterval, useLoad } from '../hooks';
import { Link, navigate } from '../router';

type JobView = Res<'/jobs/:id', 'get'>;
type Progress = NonNullable<JobView['progress']>;

/** Progress segments in rollout order, with the bar colour of each. */
const SEGMENTS: { key: keyof Progress; label: string; tone: string }[] = [
  { key: 'SUCCEEDED', label: 'succeeded', tone: 'ok' },
  { key: 'IN_PROGRESS', label: 'in progress', tone: 'info' },
  { key: 'QUEUED', label: 'queued', tone: 'warn' },
  { key: 'FAILED', label: 'failed', tone: 'bad' },
  { key: 'TIMED_OUT', label: 'timed out', tone: 'bad' },
  { key: 'REJECTED', label: 'rejected', tone: 'bad' },
  { key: 'CANCELED', label: 'canceled', tone: 'muted' },
  { key: 'REMOVED', label: 'removed', tone: 'muted' },
  { key: 'PENDING_ROLLOUT', label: 'not released', tone: 'none' },
];
const COLOURS: Record<string, string> = {
  ok: '#2e7d32',
  info: '#1565c0',
  warn: '#f9a825',
  bad: '#c62828',
  muted: '#9e9e9e',
  none: '#e0e0e0',
};

function ProgressBar({ p }: { p: Progress }): JSX.Element {
  const total = SEGMENTS.reduce((n, s) => n + (p[s.key] ?? 0), 0);
  return (
    <div>
      <div
        role="img"
        aria-label={`rollout progress: ${SEGMENTS.map((s) => `${p[s.key] ?? 0} ${s.label}`).join(', ')}`}
        style={{ display: 'flex', height: 18, borderRadius: 4, overflow: 'hidden', background: COLOURS.none }}
      >
        {SEGMENTS.map((s) =>
          p[s.key] ? (
            <span
              key={s.key}
              title={`${s.label}: ${p[s.key]}`}
              style={{
                width: `${((p[s.key] ?? 0) / Math.max(total, 1)) * 100}%`,
                background: COLOURS[s.tone],
              }}
            />
          ) : null,
        )}
      </div>
      <table data-testid="job-progress">
        <tbody>
          <tr>
            {SEGMENTS.map((s) => (
              <th key={s.key}>{s.label}</th>
            ))}
          </tr>
          <tr>
            {SEGMENTS.map((s) => (
              <td key={s.key} data-status={s.key}>
                {p[s.key] ?? 0}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** One job: rollout progress, rate and schedule, pause/resume/cancel, per-device executions, timeline. */
export function JobPage({ id, canEdit }: { id: string; canEdit: boolean }): JSX.Element {
  const params = { params: { id } };
  const job = useLoad(() => call('/jobs/:id', 'get', params), [id]);
  const executions = useLoad(
    () => call('/jobs/:id/executions', 'get', { ...params, query: { limit: 500 } }),
    [id],
  );
  const timeline = useLoad(() => call('/jobs/:id/timeline', 'get', params), [id]);
  const reload = (): void => {
    job.reload();
    executions.reload();
    timeline.reload();
  };
  useInterval(reload, 3000);
  const [error, setError] = useState<string>();
  const act = async (f: () => Promise<unknown>): Promise<void> => {
    try {
      await f();
      setError(undefined);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
    }
    reload();
  };
  const j = job.data;
  const active = j?.status === 'IN_PROGRESS' || j?.status === 'PAUSED';
  return (
    <>
      <p>
        <Link to="/jobs">← Jobs</Link>
      </p>
      <h1>
        Job {id} {j && <Badge value={j.status?.toLowerCase()} />}
      </h1>
      <ErrorText error={job.error ?? error} />
      {j && (
        <section className="panel" aria-labelledby="progress-h">
          <h2 id="progress-h">Rollout</h2>
          {j.description && <p>{j.description}</p>}
          {j.reason && (
            <p role="status" data-testid="job-reason">
              <strong>Stopped:</strong> {j.reason}
            </p>
          )}
          {j.progress && <ProgressBar p={j.progress} />}
          <p className="muted">
            Rate: {j.rollout?.ratePerMinute ? `${j.rollout.ratePerMinute} per minute` : 'unlimited'}
            {j.rollout?.soakUntil ? ` · soaking until ${formatTime(j.rollout.soakUntil)}` : ''}
            {j.schedule ? ` · schedule: ${j.schedule.phase}` : ''}
            {j.schedule?.opensAt ? `, opens ${formatTime(j.schedule.opensAt)}` : ''}
            {j.schedule?.closesAt ? `, closes ${formatTime(j.schedule.closesAt)}` : ''}
            {j.continuous ? ' · continuous' : ''}
          </p>
          {canEdit && active && (
            <p style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
              {j.status === 'IN_PROGRESS' ? (
                <button
                  type="button"
                  className="secondary"
                  onClick={() =>
                    void act(() =>
                      call('/jobs/:id/pause', 'post', {
                        ...params,
                        body: { reason: 'paused in the console' },
                      }),
                    )
                  }
                >
                  Pause
                </button>
              ) : (
                <button
                  type="button"
                  onClick={() => void act(() => call('/jobs/:id/resume', 'post', params))}
                >
                  Resume
                </button>
              )}
              <button
                type="button"
                className="secondary"
                onClick={() => void act(() => call('/jobs/:id/cancel', 'post', { ...params, body: {} }))}
              >
                Cancel job
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => {
                  if (window.confirm('Abort: cancel queued and in-progress executions?'))
                    void act(() =>
                      call('/jobs/:id/cancel', 'post', {
                        ...params,
                        body: { force: true, reason: 'aborted in the console' },
                      }),
                    );
                }}
              >
                Abort (force cancel)
              </button>
            </p>
          )}
          {canEdit && !active && j.status && (
            <p>
              <button
                type="button"
                className="secondary"
                onClick={() =>
                  void act(async () => {
                    await call('/jobs/:id', 'delete', { ...params, query: { force: true } });
                    navigate('/jobs');
                  })
                }
              >
                Delete job
              </button>
            </p>
          )}
        </section>
      )}
      <div className="grid2">
        <section className="panel scroll-x" aria-labelledby="exec-h">
          <h2 id="exec-h">Devices</h2>
          <ErrorText error={executions.error} />
          <table data-testid="job-executions">
            <thead>
              <tr>
                <th>Device</th>
                <th>Status</th>
                <th>#</th>
                <th>Updated</th>
                <th>Details</th>
                {canEdit && <th />}
              </tr>
            </thead>
            <tbody>
              {executions.data?.map((e) => (
                <tr key={`${e.deviceId}-${e.executionNumber}`}>
                  <td>
                    <Link to={`/devices/${encodeURIComponent(e.deviceId ?? '')}`}>{e.deviceId}</Link>
                  </td>
                  <td>
                    <Badge value={e.status?.toLowerCase()} />
                  </td>
                  <td>{e.executionNumber}</td>
                  <td>{formatTime(e.lastUpdatedAt)}</td>
                  <td className="muted">
                    {e.statusDetails && Object.keys(e.statusDetails).length
                      ? JSON.stringify(e.statusDetails)
                      : ''}
                  </td>
                  {canEdit && (
                    <td>
                      {(e.status === 'QUEUED' || e.status === 'IN_PROGRESS') && (
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Cancel on ${e.deviceId}`}
                          onClick={() =>
                            void act(() =>
                              call('/jobs/:id/executions/:deviceId/cancel', 'post', {
                                params: { id, deviceId: e.deviceId ?? '' },
                                body: { force: e.status === 'IN_PROGRESS' },
                              }),
                            )
                          }
                        >
                          Cancel
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {executions.data?.length === 0 && <p className="muted">No execution released yet.</p>}
        </section>
        <section className="panel" aria-labelledby="timeline-h">
          <h2 id="timeline-h">Timeline</h2>
          <ol data-testid="job-timeline" className="timeline">
            {timeline.data?.map((t, i) => (
              <li key={i}>
                <span className="muted">{formatTime(t.at)}</span> <strong>{t.event}</strong>
                {t.detail && Object.keys(t.detail).length ? (
                  <span className="muted"> {JSON.stringify(t.detail)}</span>
                ) : null}
              </li>
            ))}
          </ol>
        </section>
      </div>
    </>
  );
}
