import { useState } from 'react';
import { call, rawFetch } from '../api';
import type { SloDefinition, SloImportResult, SloStatus } from '../api-types';
import { BudgetBar, ErrorText } from '../components/bits';
import { SloEditor } from '../components/SloEditor';
import { formatPercent } from '../format';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';

/** Burn-rate windows shown in the list (the status has 5m … 3d). */
const WINDOWS = ['5m', '1h', '6h', '1d', '3d'];

export async function loadSlos(): Promise<{ slo: SloDefinition; status: SloStatus | undefined }[]> {
  const slos = ((await call('/slos', 'get')).items ?? []) as unknown as SloDefinition[];
  const statuses = await Promise.all(
    slos.map((s) => call('/slos/:name/status', 'get', { params: { name: s.name } }).catch(() => undefined)),
  );
  return slos.map((slo, i) => ({ slo, status: statuses[i] }));
}

async function yamlRequest(
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

export function SlosPage({ canEdit }: { canEdit: boolean }): JSX.Element {
  const list = useLoad(loadSlos, []);
  const [yaml, setYaml] = useState('');
  const [msg, setMsg] = useState<string>();
  const [error, setError] = useState<string>();
  const importYaml = async (dryRun: boolean): Promise<void> => {
    const r = await yamlRequest('POST', `/slos/import?format=openslo${dryRun ? '&dryRun=true' : ''}`, yaml);
    if (!r.ok) {
      setMsg(undefined);
      return setError(r.text);
    }
    const res = JSON.parse(r.text) as SloImportResult;
    setError(undefined);
    setMsg(
      `${dryRun ? 'Would create' : 'Created'}: ${res.created?.join(', ') || 'none'}; ${dryRun ? 'would update' : 'updated'}: ${res.updated?.join(', ') || 'none'}` +
        (res.warnings?.length
          ? `; warnings: ${res.warnings.map((w) => `${w.path}: ${w.message}`).join('; ')}`
          : ''),
    );
    if (!dryRun) list.reload();
  };
  const exportYaml = async (): Promise<void> => {
    const r = await yamlRequest('GET', '/slos/export?format=openslo');
    if (r.ok) setYaml(r.text);
    else setError(r.text);
  };
  return (
    <>
      <h1>SLOs</h1>
      <ErrorText error={list.error} />
      <section className="panel scroll-x">
        <table data-testid="slo-list">
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
              <tr key={slo.name}>
                <td>
                  <Link to={`/slos/${encodeURIComponent(slo.name)}`}>{slo.displayName ?? slo.name}</Link>
                  {status?.firing?.length ? <span className="badge bad">firing</span> : null}
                </td>
                <td>{formatPercent(slo.target, 2)}</td>
                <td>{formatPercent(status?.sli, 3)}</td>
                <td style={{ minWidth: 160 }}>
                  <BudgetBar remaining={status?.budgetRemaining} />
                </td>
                {WINDOWS.map((w) => {
                  const b = status?.burnRates?.[w];
                  return <td key={w}>{b === undefined ? '—' : b.toFixed(2)}</td>;
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
            <SloEditor onSaved={(name) => navigate(`/slos/${encodeURIComponent(name)}`)} />
          </section>
          <section className="panel" aria-labelledby="io-h">
            <h2 id="io-h">OpenSLO import / export</h2>
            <label>
              OpenSLO YAML (kind: SLO documents)
              <textarea rows={14} value={yaml} onChange={(e) => setYaml(e.target.value)} spellCheck={false} />
            </label>
            <p style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
              <button
                type="button"
                onClick={() => void importYaml(true)}
                disabled={!yaml.trim()}
                className="secondary"
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
        </div>
      )}
    </>
  );
}
