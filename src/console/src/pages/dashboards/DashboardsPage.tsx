/**
 * The dashboards route (lazy-loaded: its code is a separate chunk): the list, the new-dashboard
 * form, one dashboard, and a model's generated default dashboard (`/dashboards/default?model=`).
 */
import { useState } from 'react';
import { ApiError, call } from '../../api';
import { ErrorText } from '../../components/bits';
import { formatAgo } from '../../format';
import { useLoad } from '../../hooks';
import { Link, matchPath, navigate } from '../../router';
import { DashboardView } from './DashboardView';

export default function DashboardsRoute({
  path,
  query,
  canEdit,
}: {
  path: string;
  query: URLSearchParams;
  canEdit: boolean;
}): JSX.Element {
  const device = query.get('device') ?? undefined;
  if (path === '/dashboards') return <DashboardList canEdit={canEdit} />;
  if (path === '/dashboards/new') return <NewDashboard />;
  if (path === '/dashboards/default')
    return <DashboardView model={query.get('model') ?? ''} device={device} canEdit={canEdit} />;
  const m = matchPath('/dashboards/:id', path);
  return <DashboardView id={m?.id ?? ''} device={device} canEdit={canEdit} />;
}

function DashboardList({ canEdit }: { canEdit: boolean }): JSX.Element {
  const list = useLoad(() => call('/dashboards', 'get'), []);
  return (
    <>
      <h1>Dashboards</h1>
      <p className="muted">
        Fleet and per-model pages of charts, values, gauges, maps and tables. Every model also has a generated
        default dashboard (open it from a device page).
      </p>
      {canEdit && (
        <p>
          <Link to="/dashboards/new">New dashboard</Link>
        </p>
      )}
      <ErrorText error={list.error} />
      {list.loading && !list.data ? (
        <p className="muted">Loading…</p>
      ) : list.data && list.data.length === 0 ? (
        <div className="panel">
          <p className="muted">No dashboards yet.{canEdit ? ' Create one with “New dashboard”.' : ''}</p>
        </div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Scope</th>
              <th>Widgets</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {(list.data ?? []).map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to={`/dashboards/${encodeURIComponent(d.id)}`}>{d.name}</Link>
                </td>
                <td>
                  {d.scope}
                  {d.customer ? ` · ${d.customer}` : ''}
                </td>
                <td>{d.widgets.length}</td>
                <td>{formatAgo(d.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function NewDashboard(): JSX.Element {
  const models = useLoad(() => call('/device-models', 'get'), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState('fleet');
  const [error, setError] = useState<string>();
  const create = async (): Promise<void> => {
    setError(undefined);
    try {
      const d = await call('/dashboards', 'post', { body: { name, scope, widgets: [] } });
      navigate(`/dashboards/${encodeURIComponent(d.id)}`);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message}${e.field ? ` (field ${e.field})` : ''}` : String(e));
    }
  };
  return (
    <>
      <h1>New dashboard</h1>
      <form
        className="panel form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Scope
          <select value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="fleet">Fleet (widgets name their device)</option>
            {(models.data?.items ?? []).map((m) => (
              <option key={m.name} value={`model:${m.name}`}>
                Model {m.name} (opened for one of its devices)
              </option>
            ))}
          </select>
        </label>
        <div className="wide">
          <button type="submit">Create</button> <Link to="/dashboards">Cancel</Link>
        </div>
      </form>
      <ErrorText error={error} />
    </>
  );
}
