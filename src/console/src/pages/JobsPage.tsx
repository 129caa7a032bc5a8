import { useState, type FormEvent } from 'react';
import { ApiError, call } from '../api';
import type { Body, QueryOf } from '../api-types';
import { Badge, ErrorText } from '../components/bits';
import { formatTime } from '../format';
import { useInterval, useLoad } from '../hooks';
import { Link, navigate } from '../router';

type CreateJob = Body<'/jobs', 'post'>;
type JobStatus = NonNullable<QueryOf<'/jobs', 'get'>['status']>;

const list = (s: string): string[] =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** Jobs: the list (newest first, refreshed every 5 s) and, for operators, the create form. */
export function JobsPage({ canEdit }: { canEdit: boolean }): JSX.Element {
  const [status, setStatus] = useState<JobStatus | ''>('');
  const jobs = useLoad(() => call('/jobs', 'get', { query: status ? { status } : {} }), [status]);
  useInterval(jobs.reload, 5000);
  return (
    <>
      <h1>Jobs</h1>
      <ErrorText error={jobs.error} />
      <section className="panel scroll-x">
        <label style={{ maxWidth: 240 }}>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as JobStatus | '')}>
            <option value="">all</option>
            {['IN_PROGRESS', 'PAUSED', 'COMPLETED', 'CANCELED'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <table data-testid="job-list">
          <thead>
            <tr>
              <th>Job</th>
              <th>Status</th>
              <th>Description</th>
              <th>Created</th>
              <th>Why stopped</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data?.map((j) => (
              <tr key={j.id}>
                <td>
                  <Link to={`/jobs/${encodeURIComponent(j.id ?? '')}`}>{j.id}</Link>
                  {j.continuous ? <span className="badge">continuous</span> : null}
                </td>
                <td>
                  <Badge value={j.status?.toLowerCase()} />
                </td>
                <td>{j.description}</td>
                <td>{formatTime(j.createdAt)}</td>
                <td className="muted">{j.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {jobs.data?.length === 0 && <p className="muted">No job yet.</p>}
      </section>
      {canEdit && (
        <section className="panel" aria-labelledby="new-job-h">
          <h2 id="new-job-h">Create a job</h2>
          <CreateJobForm />
        </section>
      )}
    </>
  );
}

function CreateJobForm(): JSX.Element {
  const [f, setF] = useState({
    jobId: '',
    description: '',
    document: '{\n  "operation": "ota"\n}',
    deviceIds: '',
    models: '',
    tags: '',
    continuous: false,
    maximumPerMinute: '',
    abortPercent: '',
    inProgressTimeout: '',
    soakMinutes: '',
    sloFreeze: false,
    timeZone: '',
    startTime: '',
    windowRule: '',
    windowStart: '',
    windowMinutes: '',
  });
  const [error, setError] = useState<string>();
  const set =
    (k: keyof typeof f) =>
    (e: { target: { value: string; checked?: boolean; type?: string } }): void =>
      setF({ ...f, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    let document: CreateJob['document'];
    try {
      document = JSON.parse(f.document) as CreateJob['document'];
    } catch {
      return setError('Job document: not valid JSON');
    }
    const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));
    const body: CreateJob = {
      document,
      targets: { deviceIds: list(f.deviceIds), models: list(f.models), tags: list(f.tags) },
      targetSelection: f.continuous ? 'CONTINUOUS' : 'SNAPSHOT',
      ...(f.jobId.trim() ? { jobId: f.jobId.trim() } : {}),
      ...(f.description.trim() ? { description: f.description.trim() } : {}),
      ...(num(f.maximumPerMinute)
        ? { jobExecutionsRolloutConfig: { maximumPerMinute: num(f.maximumPerMinute) } }
        : {}),
      ...(num(f.abortPercent) !== undefined
        ? {
            abortConfig: {
              criteriaList: [
                {
                  failureType: 'ALL' as const,
                  action: 'CANCEL' as const,
                  thresholdPercentage: num(f.abortPercent)!,
                  minNumberOfExecutedThings: 1,
                },
              ],
            },
          }
        : {}),
      ...(num(f.inProgressTimeout)
        ? { timeoutConfig: { inProgressTimeoutInMinutes: num(f.inProgressTimeout) } }
        : {}),
      ...(num(f.soakMinutes)
        ? {
            healthGate: {
              soakMinutes: num(f.soakMinutes)!,
              signals: ['heartbeat_lost' as const, 'hardware_error' as const],
              marginPercent: 10,
            },
          }
        : {}),
      ...(f.sloFreeze ? { sloFreeze: {} } : {}),
      ...(f.startTime || f.windowRule
        ? {
            schedulingConfig: {
              ...(f.timeZone.trim() ? { timeZone: f.timeZone.trim() } : {}),
              ...(f.startTime ? { startTime: f.startTime } : {}),
              ...(f.windowRule.trim()
                ? {
                    maintenanceWindows: [
                      {
                        recurrence: f.windowRule.trim(),
                        startTime: f.windowStart || '00:00',
                        durationInMinutes: num(f.windowMinutes) ?? 60,
                      },
                    ],
                  }
                : {}),
            },
          }
        : {}),
    };
    try {
      const job = await call('/jobs', 'post', { body });
      navigate(`/jobs/${encodeURIComponent(job.id ?? '')}`);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Create a job">
      <div className="grid2">
        <div>
          <label>
            Job id (optional)
            <input value={f.jobId} onChange={set('jobId')} />
          </label>
          <label>
            Description
            <input value={f.description} onChange={set('description')} />
          </label>
          <label>
            Job document (JSON; artifacts as {'${tsunagu:artifact-url:<name>}'})
            <textarea rows={8} value={f.document} onChange={set('document')} spellCheck={false} />
          </label>
          <label>
            Target device ids
            <input value={f.deviceIds} onChange={set('deviceIds')} placeholder="boiler-1, boiler-2" />
          </label>
          <label>
            Target models
            <input value={f.models} onChange={set('models')} />
          </label>
          <label>
            Target tags
            <input value={f.tags} onChange={set('tags')} placeholder="site=osaka" />
          </label>
          <label>
            <input type="checkbox" checked={f.continuous} onChange={set('continuous')} /> Continuous (devices
            that match later get it too)
          </label>
        </div>
        <div>
          <label>
            Maximum per minute
            <input
              type="number"
              min={1}
              max={1000}
              value={f.maximumPerMinute}
              onChange={set('maximumPerMinute')}
            />
          </label>
          <label>
            Abort when failures reach (% of executed)
            <input type="number" min={0} max={100} value={f.abortPercent} onChange={set('abortPercent')} />
          </label>
          <label>
            In-progress timeout (minutes)
            <input type="number" min={1} value={f.inProgressTimeout} onChange={set('inProgressTimeout')} />
          </label>
          <label>
            Health gate soak (minutes; heartbeat loss and hardware errors, 10-point margin)
            <input type="number" min={1} value={f.soakMinutes} onChange={set('soakMinutes')} />
          </label>
          <label>
            <input type="checkbox" checked={f.sloFreeze} onChange={set('sloFreeze')} /> Freeze while an SLO of
            the target models has no error budget
          </label>
          <label>
            Time zone
            <input value={f.timeZone} onChange={set('timeZone')} placeholder="Europe/Berlin" />
          </label>
          <label>
            Start time (local)
            <input type="datetime-local" value={f.startTime} onChange={set('startTime')} />
          </label>
          <label>
            Maintenance window days (RRULE)
            <input value={f.windowRule} onChange={set('windowRule')} placeholder="FREQ=WEEKLY;BYDAY=SA,SU" />
          </label>
          <label>
            Window opens (HH:mm) and lasts (minutes)
            <span style={{ display: 'flex', gap: 8 }}>
              <input
                value={f.windowStart}
                onChange={set('windowStart')}
                placeholder="02:00"
                aria-label="Window opens"
              />
              <input
                type="number"
                min={1}
                value={f.windowMinutes}
                onChange={set('windowMinutes')}
                aria-label="Window minutes"
              />
            </span>
          </label>
        </div>
      </div>
      <ErrorText error={error} />
      <p>
        <button type="submit">Create job</button>
      </p>
    </form>
  );
}
