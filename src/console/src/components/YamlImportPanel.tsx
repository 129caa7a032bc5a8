import { useState } from 'react';
import { rawFetch } from '../api';
import { ErrorText } from './bits';

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

/** What an import answers (schedules and SLOs alike; SLOs add warnings). */
interface ImportResult {
  created?: string[];
  updated?: string[];
  warnings?: { path: string; message: string }[];
}

/**
 * A YAML import / export panel: a text area, "Check (dry run)", "Import" and "Export all".
 * `importPath(dryRun)` and `exportPath` are the API paths; `onImported` runs after a real import.
 */
export function YamlImportPanel(props: {
  id: string;
  title: string;
  label: string;
  importPath: (dryRun: boolean) => string;
  exportPath: string;
  onImported: () => void;
}): JSX.Element {
  const [yaml, setYaml] = useState('');
  const [msg, setMsg] = useState<string>();
  const [error, setError] = useState<string>();
  const importYaml = async (dryRun: boolean): Promise<void> => {
    const r = await yamlRequest('POST', props.importPath(dryRun), yaml);
    if (!r.ok) {
      setMsg(undefined);
      return setError(r.text);
    }
    const res = JSON.parse(r.text) as ImportResult;
    setError(undefined);
    setMsg(
      `${dryRun ? 'Would create' : 'Created'}: ${res.created?.join(', ') || 'none'}; ` +
        `${dryRun ? 'would update' : 'updated'}: ${res.updated?.join(', ') || 'none'}` +
        (res.warnings?.length
          ? `; warnings: ${res.warnings.map((w) => `${w.path}: ${w.message}`).join('; ')}`
          : ''),
    );
    if (!dryRun) props.onImported();
  };
  const exportYaml = async (): Promise<void> => {
    const r = await yamlRequest('GET', props.exportPath);
    if (r.ok) setYaml(r.text);
    else setError(r.text);
  };
  return (
    <section className="panel" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <label>
        {props.label}
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
  );
}
