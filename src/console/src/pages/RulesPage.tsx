import { api } from '../api';
import { ErrorText } from '../components/bits';
import { useInterval, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { RulesEditor } from './RulesEditor';
import { fromOf, latency, type Rule } from './RulesTypes';

/** Rules: the list with each rule's metrics (this node, since start), and a new-rule editor. */
export function RulesPage({ canEdit }: { canEdit: boolean }): JSX.Element {
  const list = useLoad(async () => (await api<{ items: Rule[] }>('GET', '/rules')).items, []);
  useInterval(list.reload, 5000);
  return (
    <>
      <h1>Rules</h1>
      <ErrorText error={list.error} />
      <section className="panel scroll-x">
        <table data-testid="rule-list">
          <thead>
            <tr>
              <th>Rule</th>
              <th>FROM</th>
              <th>State</th>
              <th>Evaluated</th>
              <th>Matched</th>
              <th>Errors</th>
              <th>Actions ok / failed / retrying</th>
              <th>p99</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.map((r) => (
              <tr key={r.name}>
                <td>
                  <Link to={`/rules/${encodeURIComponent(r.name)}`}>{r.name}</Link>
                </td>
                <td>
                  <code>{fromOf(r.sql)}</code>
                </td>
                <td>
                  <span className={`badge ${r.enabled ? 'ok' : 'warn'}`}>
                    {r.enabled ? 'enabled' : 'disabled'}
                  </span>
                </td>
                <td>{r.metrics?.evaluated ?? 0}</td>
                <td>{r.metrics?.matched ?? 0}</td>
                <td>{(r.metrics?.errors ?? 0) + (r.metrics?.loops ?? 0)}</td>
                <td>
                  {r.metrics?.actions.succeeded ?? 0} / {r.metrics?.actions.failed ?? 0} /{' '}
                  {r.metrics?.actions.retrying ?? 0}
                </td>
                <td>{latency(r.metrics?.latency.p99Us)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.length === 0 && <p className="muted">No rule yet.</p>}
      </section>
      {canEdit && (
        <section className="panel" aria-labelledby="new-rule-h">
          <h2 id="new-rule-h">Create a rule</h2>
          <RulesEditor onSaved={(name) => navigate(`/rules/${encodeURIComponent(name)}`)} />
        </section>
      )}
    </>
  );
}
