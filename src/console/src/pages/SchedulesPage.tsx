import { call } from '../api';
import { Badge, ErrorText } from '../components/bits';
import { YamlImportPanel } from '../components/YamlImportPanel';
import { useLoad } from '../hooks';
import { Link } from '../router';

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
        <YamlImportPanel
          id="sched-io-h"
          title="YAML import / export"
          label="Schedules YAML (a list, or `schedules:` with a list; matched by name)"
          importPath={(dryRun) => `/schedules/import${dryRun ? '?dryRun=true' : ''}`}
          exportPath="/schedules/export"
          onImported={list.reload}
        />
      )}
    </>
  );
}
