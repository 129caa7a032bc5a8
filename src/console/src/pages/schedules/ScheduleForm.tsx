import { useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, rawFetch } from '../../api';
import {
  EMPTY_RULE,
  fieldMatches,
  formToSchedule,
  type FieldError,
  type RuleForm,
  type Schedule,
  type ScheduleForm as Form,
} from '../../schedule-form';

/**
 * Create or edit a schedule. Problems found here or by the server (422 naming the field, 409 for a
 * stale edit) show at the top and beside the input they belong to.
 */
export function ScheduleForm({
  initial,
  id,
  version,
  onSaved,
}: {
  initial: Form;
  id?: string;
  version?: number;
  onSaved: (s: Schedule) => void;
}): JSX.Element {
  const [f, setF] = useState<Form>(initial);
  const [err, setErr] = useState<FieldError>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Form>(k: K, v: Form[K]): void => setF((o) => ({ ...o, [k]: v }));
  const setRule = (i: number, k: keyof RuleForm, v: string): void =>
    setF((o) => ({ ...o, rules: o.rules.map((r, j) => (j === i ? { ...r, [k]: v } : r)) }));
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const r = formToSchedule(f);
    if (!r.ok) return setErr({ field: r.field, message: r.message });
    setBusy(true);
    try {
      const headers: Record<string, string> = version === undefined ? {} : { 'if-match': String(version) };
      const saved = id
        ? await putWithHeaders<Schedule>(`/schedules/${encodeURIComponent(id)}`, r.body, headers)
        : await api<Schedule>('POST', '/schedules', r.body);
      setErr(undefined);
      onSaved(saved);
    } catch (x) {
      setErr(
        x instanceof ApiError
          ? {
              field: x.field ?? '',
              // The server's message starts with the field; it is shown once, from `field`.
              message:
                x.status === 409
                  ? `${x.message} — reload to see the newer version`
                  : x.message.replace(`${x.field ?? ''}: `, ''),
            }
          : { field: '', message: String(x) },
      );
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: string): boolean => fieldMatches(field, err?.field);
  const field = (name: string, label: string, input: ReactNode): JSX.Element => (
    <label>
      {label}
      {input}
      {invalid(name) && <span className="error">{err?.message}</span>}
    </label>
  );
  const text = (name: string, label: string, k: keyof Form, placeholder = ''): JSX.Element =>
    field(
      name,
      label,
      <input
        name={name}
        value={f[k] as string}
        placeholder={placeholder}
        aria-invalid={invalid(name) || undefined}
        onChange={(e) => set(k, e.target.value as never)}
      />,
    );
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Schedule">
      {err && (
        <p role="alert" className="error">
          {err.field ? `${err.field}: ` : ''}
          {err.message}
        </p>
      )}
      <div className="form-grid">
        {text('name', 'Name', 'name')}
        {text('timezone', 'Time zone (IANA)', 'timezone', 'Europe/Berlin')}
        {text('zoneAttribute', 'Zone attribute (device attribute overriding the zone)', 'zoneAttribute')}
        {text('shadowName', 'Shadow name (empty: classic)', 'shadowName')}
        {text('targets.devices', 'Target devices (comma list)', 'devices')}
        {text('targets.models', 'Target models', 'models')}
        {text('targets.tags', 'Target tags', 'tags')}
        {field(
          'overrideMode',
          'A manual change holds',
          <select
            value={f.overrideMode}
            onChange={(e) => set('overrideMode', e.target.value as Form['overrideMode'])}
          >
            <option value="until_next_slot">until the next slot</option>
            <option value="until_cleared">until cleared</option>
          </select>,
        )}
        {text('verify.timeoutMs', 'Verify timeout (s)', 'timeoutS')}
        {text('verify.attempts', 'Attempts', 'attempts')}
        {text('verify.backoffMs', 'Backoff (s)', 'backoffS')}
        {text('verify.maxBackoffMs', 'Longest backoff (s)', 'maxBackoffS')}
        <label>
          <input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} />{' '}
          Enabled
        </label>
      </div>
      <h3>Rules (priority order: the first that matches a date plans it)</h3>
      {f.rules.map((r, i) => (
        <fieldset key={i} className="panel" aria-label={`Rule ${i + 1}`}>
          <legend>Rule {i + 1}</legend>
          <div className="form-grid">
            {ruleInput(`rules[${i}].name`, 'Rule name', r.name, (v) => setRule(i, 'name', v))}
            {ruleInput(`rules[${i}].when.days`, 'Days (sun…sat, weekday, weekend)', r.days, (v) =>
              setRule(i, 'days', v),
            )}
            {ruleInput(`rules[${i}].when.holidays`, 'Holiday lists', r.holidays, (v) =>
              setRule(i, 'holidays', v),
            )}
            {ruleInput(`rules[${i}].when.between`, 'Between: from (MM-DD)', r.from, (v) =>
              setRule(i, 'from', v),
            )}
            {ruleInput(`rules[${i}].when.between.to`, 'to (MM-DD)', r.to, (v) => setRule(i, 'to', v))}
            {ruleInput(`rules[${i}].when.rrule`, 'RRULE', r.rrule, (v) => setRule(i, 'rrule', v))}
          </div>
          {field(
            `rules[${i}].slots`,
            'Slots (one per line: HH:MM {json patch})',
            <textarea
              name={`rules[${i}].slots`}
              rows={4}
              spellCheck={false}
              value={r.slots}
              aria-invalid={invalid(`rules[${i}].slots`) || undefined}
              onChange={(e) => setRule(i, 'slots', e.target.value)}
            />,
          )}
          <p>
            <button
              type="button"
              className="secondary"
              onClick={() => setF((o) => ({ ...o, rules: o.rules.filter((_, j) => j !== i) }))}
            >
              Remove rule {i + 1}
            </button>
          </p>
        </fieldset>
      ))}
      <p>
        <button
          type="button"
          className="secondary"
          onClick={() => setF((o) => ({ ...o, rules: [...o.rules, { ...EMPTY_RULE }] }))}
        >
          Add rule
        </button>
      </p>
      {field(
        'exceptions',
        'Exceptions (one-off dates: "YYYY-MM-DD HH:MM {json}", or "YYYY-MM-DD -" for no writes)',
        <textarea
          name="exceptions"
          rows={3}
          spellCheck={false}
          value={f.exceptions}
          onChange={(e) => set('exceptions', e.target.value)}
        />,
      )}
      {field(
        'holidays',
        'Holiday lists ("name: YYYY-MM-DD, …" per line; .ics import via the API)',
        <textarea
          name="holidays"
          rows={3}
          spellCheck={false}
          value={f.holidays}
          onChange={(e) => set('holidays', e.target.value)}
        />,
      )}
      <p>
        <button type="submit" disabled={busy}>
          {id ? 'Save schedule' : 'Create schedule'}
        </button>
      </p>
    </form>
  );

  function ruleInput(name: string, label: string, value: string, onChange: (v: string) => void): JSX.Element {
    return field(
      name,
      label,
      <input
        name={name}
        value={value}
        aria-invalid={invalid(name) || undefined}
        onChange={(e) => onChange(e.target.value)}
      />,
    );
  }
}

async function putWithHeaders<T>(path: string, body: unknown, headers: Record<string, string>): Promise<T> {
  const res = await rawFetch(path, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const data = (text ? JSON.parse(text) : {}) as T & {
    error?: { code?: string; message?: string; field?: string };
  };
  if (!res.ok)
    throw new ApiError(
      res.status,
      data.error?.code ?? `HTTP_${res.status}`,
      data.error?.message ?? res.statusText,
      data.error?.field,
    );
  return data;
}
