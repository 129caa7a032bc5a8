/** Create or edit an SLO with a form (common SLIs) or as raw JSON (ratio SLIs, calendar windows). */
import { useState, type FormEvent } from 'react';
import { ApiError, call } from '../api';
import type { SloDefinition, SliType } from '../api-types';
import { definitionToForm, EMPTY_FORM, formToDefinition, SLI_TYPES, type SloForm } from '../slo-form';
import { ErrorText } from './bits';

export function SloEditor({
  existing,
  onSaved,
}: {
  existing?: SloDefinition;
  onSaved: (name: string) => void;
}): JSX.Element {
  const initial = existing ? definitionToForm(existing) : EMPTY_FORM;
  const [mode, setMode] = useState<'form' | 'json'>(initial ? 'form' : 'json');
  const [f, setF] = useState<SloForm>(initial ?? EMPTY_FORM);
  const [json, setJson] = useState(existing ? JSON.stringify(existing, null, 2) : '');
  const [error, setError] = useState<string>();
  const set = (k: keyof SloForm) => (e: { target: { value: string } }) =>
    setF((o) => ({ ...o, [k]: e.target.value }));

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    let body: Record<string, unknown>;
    if (mode === 'form') {
      const r = formToDefinition(f, existing);
      if (!r.ok) return setError(`${r.field}: ${r.message}`);
      body = r.body;
    } else {
      try {
        body = JSON.parse(json) as Record<string, unknown>;
      } catch (err) {
        return setError(`Not valid JSON: ${(err as Error).message}`);
      }
    }
    try {
      const name = existing?.name ?? String(body.name);
      if (existing) await call('/slos/:name', 'put', { params: { name }, body });
      else await call('/slos', 'post', { body });
      setError(undefined);
      onSaved(name);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.field ? `${err.field}: ` : ''}${err.message}` : String(err));
    }
  };
  const command = f.sliType === 'command-success' || f.sliType === 'command-latency';
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={existing ? 'Edit SLO' : 'Create an SLO'}>
      <div className="filters" role="radiogroup" aria-label="Editor">
        <label className="inline">
          <input type="radio" checked={mode === 'form'} onChange={() => setMode('form')} /> Form
        </label>
        <label className="inline">
          <input type="radio" checked={mode === 'json'} onChange={() => setMode('json')} /> JSON
        </label>
      </div>
      {mode === 'form' ? (
        <div className="form-grid">
          <label>
            Name (id)
            <input
              value={f.name}
              onChange={set('name')}
              required
              disabled={!!existing}
              placeholder="unlock-success"
            />
          </label>
          <label>
            Display name
            <input value={f.displayName} onChange={set('displayName')} />
          </label>
          <label className="wide">
            Description
            <input value={f.description} onChange={set('description')} />
          </label>
          <label>
            SLI
            <select
              value={f.sliType}
              onChange={(e) => setF((o) => ({ ...o, sliType: e.target.value as SliType }))}
            >
              {SLI_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          {command && (
            <label>
              Command (empty: all)
              <input value={f.command} onChange={set('command')} placeholder="unlock" />
            </label>
          )}
          {f.sliType === 'command-latency' && (
            <label>
              Reply within (ms)
              <input value={f.thresholdMs} onChange={set('thresholdMs')} inputMode="numeric" />
            </label>
          )}
          <label>
            Model (optional)
            <input value={f.model} onChange={set('model')} />
          </label>
          <label>
            Tag (optional)
            <input value={f.tag} onChange={set('tag')} />
          </label>
          <label>
            Target (%)
            <input value={f.targetPercent} onChange={set('targetPercent')} inputMode="decimal" required />
          </label>
          <label>
            Rolling window (days)
            <input value={f.windowDays} onChange={set('windowDays')} inputMode="numeric" required />
          </label>
        </div>
      ) : (
        <label>
          SLO definition (JSON, docs/slo.md)
          <textarea rows={14} value={json} onChange={(e) => setJson(e.target.value)} spellCheck={false} />
        </label>
      )}
      <ErrorText error={error} />
      <p>
        <button type="submit">{existing ? 'Save SLO' : 'Create SLO'}</button>
      </p>
    </form>
  );
}
