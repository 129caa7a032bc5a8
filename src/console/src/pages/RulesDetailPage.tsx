import { useState } from 'react';
import { api, ApiError } from '../api';
import { ErrorText } from '../components/bits';
import { useInterval, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { RulesEditor } from './RulesEditor';
import { latency, type Rule, type RuleMetrics } from './RulesTypes';

/** One rule: its metrics (refreshed), enable/disable/delete, and the editor with its test panel. */
export function RulesDetailPage({ name, canEdit }: { name: string; canEdit: boolean }): JSX.Element {
  const path = `/rules/${encodeURIComponent(name)}`;
  const rule = useLoad(() => api<Rule>('GET', path), [name]);
  const metrics = useLoad(async () => (await api<Rule>('GET', path)).metrics, [name]);
  useInterval(metrics.reload, 2000);
  const [error, setError] = useState<string>();
  const act = async (method: 'POST' | 'DELETE', suffix: string): Promise<void> => {
    try {
      await api(method, `${path}${suffix}`);
      setError(undefined);
      if (method === 'DELETE') navigate('/rules');
      else rule.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  const r = rule.data;
  return (
    <>
      <p>
        <Link to="/rules">← Rules</Link>
      </p>
      <h1>
        Rule {name}{' '}
        {r && (
          <span className={`badge ${r.enabled ? 'ok' : 'warn'}`}>{r.enabled ? 'enabled' : 'disabled'}</span>
        )}
      </h1>
      <ErrorText error={rule.error ?? error} />
      {canEdit && r && (
        <p style={{ display: 'flex', gap: 8 }}>
          <button
            type="button"
            className="secondary"
            onClick={() => void act('POST', r.enabled ? '/disable' : '/enable')}
          >
            {r.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" className="secondary" onClick={() => void act('DELETE', '')}>
            Delete
          </button>
        </p>
      )}
      {metrics.data && <MetricsPanel m={metrics.data} />}
      {r && (
        <section className="panel" aria-labelledby="edit-h">
          <h2 id="edit-h">{canEdit ? 'Edit' : 'Definition'}</h2>
          <RulesEditor key={r.updatedAt} rule={r} readOnly={!canEdit} onSaved={() => rule.reload()} />
        </section>
      )}
    </>
  );
}

function MetricsPanel({ m }: { m: RuleMetrics }): JSX.Element {
  const rows: [string, string | number][] = [
    ['evaluated', m.evaluated],
    ['matched', m.matched],
    ['errors', m.errors],
    ['loops stopped', m.loops],
    ['skipped (too large)', m.skipped],
    ['rate-limited', m.rateLimited],
    ['actions succeeded', m.actions.succeeded],
    ['actions failed', m.actions.failed],
    ['retries', m.actions.retries],
    ['retrying now', m.actions.retrying],
    ['latency p50', latency(m.latency.p50Us)],
    ['latency p99', latency(m.latency.p99Us)],
    ...Object.entries(m.commands).map(([s, n]): [string, number] => [`commands ${s}`, n]),
  ];
  return (
    <section className="panel" aria-labelledby="metrics-h">
      <h2 id="metrics-h">Metrics (this node, since start)</h2>
      <dl
        data-testid="rule-metrics"
        style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 16px' }}
      >
        {rows.map(([k, v]) => (
          <div key={k} style={{ display: 'contents' }}>
            <dt className="muted">{k}</dt>
            <dd style={{ margin: 0 }} data-metric={k}>
              {v}
            </dd>
          </div>
        ))}
      </dl>
      {m.lastError && <p className="error">Last error: {m.lastError}</p>}
    </section>
  );
}
