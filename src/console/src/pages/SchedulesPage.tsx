import { useState } from 'react';
import { call, rawFetch } from '../api';
import { Badge, ErrorText } from '../components/bits';
import { useLoad } from '../hooks';
import { Link } from '../router';

/** YAML goes as text (application/yaml), so it bypasses the JSON `call()`. */
export async function yamlRequest(
  method: string,
  path: string,
  body?: string,
): Promise<{ ok: boolean; text: string }> {
  const res = await rawFetch(path, {
    method,
    headers: body ? { 'content-type': 'application/yaml' } : {},
    ...(body ? { body } : {}),
  });
  return { ok: res.ok, text: await res.text() };
}

const targetsText = (t: { devices?: string[]; models?: string[]; tags?: string[] } | undefined): string =>
  [
    t?.devices?.length ? `devices ${t.devices.join(', ')}` : '',
    t?.models?.length ? `models ${t.models.join(', ')}` : '',
    t?.tags?.length ? `tags ${t.tags.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' · ') || '—';

/** /schedules: every schedule, a link to create one, and YAML import/export of the definitions. */
export function SchedulesPage({ canEdit }: { canEdit: boolean }): JSX.Element {
  const list = useLoad(() => call('/schedules', 'get'), []);
  const [yaml, setYaml] = useState('');
  const [msg, setMsg] = useState<string>();
  const [error, setError] = useState<string>();
  const importYaml = async (dryRun: boolean): Promise<void> => {
    const r = await yamlRequest('POST', `/schedules/import${dryRun ? '?dryRun=true' : ''}`, yaml);
    if (!r.ok) {
      setMsg(undefined);
      return setError(r.text);
    }
    const res = JSON.parse(r.text) as { created?: string[]; updated?: string[] };
    setError(undefined);
    setMsg(
      `${dryRun ? 'Would create' : 'Created'}: ${res.created?.join(', ') || 'none'}; ` +
        `${dryRun ? 'would update' : 'updated'}: ${res.updated?.join(', ') || 'none'}`,
    );
    if (!dryRun) list.reload();
  };
  const exportYaml = async (): Promise<void> => {
    const r = await yamlRequest('GET', '/schedules/export');
    if (r.ok) setYaml(r.text);
    else setError(r.text);
  };
  return (
    <>
      <h1>Schedules</h1>
      <p className="muted">
        Calendars that write desired state at local time and check the device applied it.
      </p>
      {canEdit && (
        <p>
          <Link to="/schedules/new">New schedule</Link>
        </p>
      )}
      <ErrorText error={list.error} />
      <section className="panel scroll-x">
        <table data-testid="schedule-list">
          <thead>
            <tr>
              <th>Schedule</th>
              <th>Zone</th>
              <th>Targets</th>
              <th>Rules</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/schedules/${encodeURIComponent(s.id ?? '')}`}>{s.name}</Link>
                </td>
                <td>{s.timezone}</td>
                <td>{targetsText(s.targets)}</td>
                <td>{s.rules?.map((r) => r.name).join(', ')}</td>
                <td>
                  <Badge value={s.enabled === false ? 'disabled' : 'enabled'} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.length === 0 && <p className="muted">No schedule yet.</p>}
      </section>
      {canEdit && (
        <section className="panel" aria-labelledby="sched-io-h">
          <h2 id="sched-io-h">YAML import / export</h2>
          <label>
            Schedules YAML (a list, or `schedules:` with a list; matched by name)
            <textarea rows={14} value={yaml} onChange={(e) => setYaml(e.target.value)} spellCheck={false} />
          </label>
          <p style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
            <button
              type="button"
              className="secondary"
              onClick={() => void importYaml(true)}
              disabled={!yaml.trim()}
            >
              Check (dry run)
            </button>
            <button type="button" onClick={() => void importYaml(false)} disabled={!yaml.trim()}>
              Import
            </button>
            <button type="button" className="secondary" onClick={() => void exportYaml()}>
              Export all
            </button>
          </p>
          {msg && <p role="status">{msg}</p>}
          <ErrorText error={error} />
        </section>
      )}
    </>
  );
}
