import { call } from '../api';
import type { SloDefinition, SloStatus } from '../api-types';
import { BudgetBar, ErrorText } from '../components/bits';
import { SloEditor } from '../components/SloEditor';
import { YamlImportPanel } from '../components/YamlImportPanel';
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

export function SlosPage({ canEdit }: { canEdit: boolean }): JSX.Element {
  const list = useLoad(loadSlos, []);
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
          <YamlImportPanel
            id="io-h"
            title="OpenSLO import / export"
            label="OpenSLO YAML (kind: SLO documents)"
            importPath={(dryRun) => `/slos/import?format=openslo${dryRun ? '&dryRun=true' : ''}`}
            exportPath="/slos/export?format=openslo"
            onImported={list.reload}
          />
        </div>
      )}
    </>
  );
}
