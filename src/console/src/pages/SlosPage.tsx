import { useState } from 'react';
import { ApiError, get, getToken, post } from '../api';
import type { Slo, SloStatus } from '../api-types';
import { asItems, BudgetBar, ErrorText } from '../components/bits';
import { formatPercent } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';

const WINDOWS = ['5m', '1h', '6h', '1d', '3d'];

async function loadSlos(): Promise<{ slo: Slo; status: SloStatus | undefined }[]> {
  const slos = asItems<Slo>(await get<unknown>('/slos'));
  const statuses = await Promise.all(slos.map((s) => get<SloStatus>(`/slos/${encodeURIComponent(s.id)}/status`).catch(() => undefined)));
  return slos.map((slo, i) => ({ slo, status: statuses[i] }));
}

const EXAMPLE = JSON.stringify(
  {
    name: 'unlock-success',
    description: 'Unlocks succeed',
    sli: { type: 'command_success', command: 'unlock' },
    target: 0.995,
    window: { type: 'rolling', duration: '28d' },
  },
  null,
  2,
);

export function SlosPage({ canEdit }: { canEdit: boolean }): JSX.Element {
  const list = useLoad(loadSlos, []);
  const [draft, setDraft] = useState(EXAMPLE);
  const [yaml, setYaml] = useState('');
  const [msg, setMsg] = useState<string>();
  const [error, setError] = useState<string>();
  const create = async (): Promise<void> => {
    try {
      await post('/slos', JSON.parse(draft));
      setError(undefined);
      setMsg('SLO created.');
      list.reload();
    } catch (e) {
      setError(e instanceof ApiError ? `${e.field ? e.field + ': ' : ''}${e.message}` : String(e));
    }
  };
  const importYaml = async (): Promise<void> => {
    const token = getToken();
    const res = await fetch('/api/v1/slos/import', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: yaml,
    });
    const body = await res.text();
    if (res.ok) {
      setError(undefined);
      setMsg(`Imported. ${body.length > 300 ? '' : body}`);
      list.reload();
    } else setError(body);
  };
  const exportYaml = async (): Promise<void> => {
    const token = getToken();
    const res = await fetch('/api/v1/slos/export', { headers: token ? { authorization: `Bearer ${token}` } : {} });
    setYaml(await res.text());
  };
  return (
    <>
      <h1>SLOs</h1>
      <ErrorText error={list.error} />
      <section className="panel">
        <table>
          <thead>
            <tr>
              <th>SLO</th>
              <th>Target</th>
              <th>SLI</th>
              <th>Budget remaining</th>
              {WINDOWS.map((w) => (
                <th key={w}>burn {w}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.data?.map(({ slo, status }) => (
              <tr key={slo.id}>
                <td>
                  <Link to={`/slos/${encodeURIComponent(slo.id)}`}>{slo.name}</Link>
                </td>
                <td>{formatPercent(slo.target, 2)}</td>
                <td>{formatPercent(status?.sli, 3)}</td>
                <td style={{ minWidth: 160 }}>
                  <BudgetBar remaining={status?.budgetRemaining} />
                </td>
                {WINDOWS.map((w) => {
                  const b = status?.burnRates?.[w];
                  return <td key={w}>{b === null || b === undefined ? '—' : b.toFixed(2)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.length === 0 && <p className="muted">No SLO yet.</p>}
      </section>
      {canEdit && (
        <div className="grid2">
          <section className="panel" aria-labelledby="new-h">
            <h2 id="new-h">Create an SLO</h2>
            <textarea rows={12} style={{ width: '100%' }} value={draft} onChange={(e) => setDraft(e.target.value)} aria-label="SLO definition JSON" />
            <p>
              <button onClick={() => void create()}>Create</button>
            </p>
          </section>
          <section className="panel" aria-labelledby="io-h">
            <h2 id="io-h">OpenSLO import / export</h2>
            <textarea rows={12} style={{ width: '100%' }} value={yaml} onChange={(e) => setYaml(e.target.value)} aria-label="OpenSLO YAML" />
            <p style={{ display: 'flex', gap: 8 }}>
              <button onClick={() => void importYaml()} disabled={!yaml.trim()}>
                Import
              </button>
              <button className="secondary" onClick={() => void exportYaml()}>
                Export all
              </button>
            </p>
          </section>
        </div>
      )}
      {msg && <p role="status">{msg}</p>}
      <ErrorText error={error} />
    </>
  );
}
