import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { ErrorText } from '../components/bits';
import type { Rule, RuleTestResult } from './RulesTypes';

const EXAMPLE_SQL = "SELECT temp, topic(2) AS device FROM 'devices/+/telemetry' WHERE temp > 80";
const EXAMPLE_ACTIONS = '[\n  { "type": "republish", "topic": "alerts/${topic(2)}", "qos": 1 }\n]';

interface Draft {
  name: string;
  description: string;
  sql: string;
  enabled: boolean;
  actions: string;
  errorAction: string;
}

const draftOf = (r: Rule | undefined): Draft => ({
  name: r?.name ?? '',
  description: r?.description ?? '',
  sql: r?.sql ?? EXAMPLE_SQL,
  enabled: r?.enabled ?? true,
  actions: r ? JSON.stringify(r.actions, null, 2) : EXAMPLE_ACTIONS,
  errorAction: r?.errorAction ? JSON.stringify(r.errorAction, null, 2) : '',
});

/** The definition the server takes, or a message naming the field that is not JSON. */
function definitionOf(d: Draft): { def: Record<string, unknown> } | { error: string } {
  let actions: unknown;
  let errorAction: unknown;
  try {
    actions = JSON.parse(d.actions || '[]');
  } catch (e) {
    return { error: `actions: not JSON (${(e as Error).message})` };
  }
  try {
    errorAction = d.errorAction.trim() ? JSON.parse(d.errorAction) : undefined;
  } catch (e) {
    return { error: `errorAction: not JSON (${(e as Error).message})` };
  }
  return {
    def: {
      ...(d.name ? { name: d.name } : {}),
      ...(d.description ? { description: d.description } : {}),
      sql: d.sql,
      enabled: d.enabled,
      actions,
      ...(errorAction !== undefined ? { errorAction } : {}),
    },
  };
}

const message = (e: unknown): string => (e instanceof ApiError ? e.message : String(e));

/** SQL + actions editor: syntax errors shown as you type (checked by the server), save, test panel. */
export function RulesEditor({
  rule,
  readOnly = false,
  onSaved,
}: {
  rule?: Rule;
  readOnly?: boolean;
  onSaved: (name: string) => void;
}): JSX.Element {
  const [d, setD] = useState<Draft>(() => draftOf(rule));
  const [sqlError, setSqlError] = useState<string>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const set = (k: keyof Draft) => (v: string | boolean) => setD((x) => ({ ...x, [k]: v }));

  // The server's parser is the one truth: a test run on a dummy topic reports the statement's errors.
  useEffect(() => {
    const t = setTimeout(() => {
      api('POST', '/rules/test', { definition: { sql: d.sql }, topic: 'x' }).then(
        () => setSqlError(undefined),
        (e: unknown) => setSqlError(e instanceof ApiError && e.field === 'sql' ? e.message : undefined),
      );
    }, 400);
    return () => clearTimeout(t);
  }, [d.sql]);

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const r = definitionOf(d);
    if ('error' in r) return setError(r.error);
    try {
      const out = rule
        ? await api<Rule>('PUT', `/rules/${encodeURIComponent(rule.name)}`, r.def)
        : await api<Rule>('POST', '/rules', r.def);
      setError(undefined);
      setSaved(`Saved ${out.name}.`);
      onSaved(out.name);
    } catch (err) {
      setSaved(undefined);
      setError(message(err));
    }
  };

  return (
    <div className="grid2">
      <form onSubmit={(e) => void save(e)} aria-label="Rule definition">
        {!rule && (
          <label>
            Name
            <input
              value={d.name}
              onChange={(e) => set('name')(e.target.value)}
              required
              pattern="[A-Za-z0-9_]+"
            />
          </label>
        )}
        <label>
          Description
          <input
            value={d.description}
            onChange={(e) => set('description')(e.target.value)}
            readOnly={readOnly}
          />
        </label>
        <label>
          SQL
          <textarea
            rows={5}
            value={d.sql}
            aria-label="SQL"
            onChange={(e) => set('sql')(e.target.value)}
            spellCheck={false}
            readOnly={readOnly}
            aria-invalid={sqlError !== undefined}
            style={{ fontFamily: 'monospace' }}
          />
        </label>
        {sqlError && (
          <p role="alert" className="error" data-testid="sql-error">
            {sqlError}
          </p>
        )}
        <label>
          Actions (JSON array)
          <textarea
            rows={8}
            value={d.actions}
            aria-label="Actions (JSON array)"
            onChange={(e) => set('actions')(e.target.value)}
            spellCheck={false}
            readOnly={readOnly}
            style={{ fontFamily: 'monospace' }}
          />
        </label>
        <label>
          Error action (JSON, optional)
          <textarea
            rows={3}
            value={d.errorAction}
            aria-label="Error action"
            onChange={(e) => set('errorAction')(e.target.value)}
            spellCheck={false}
            readOnly={readOnly}
            style={{ fontFamily: 'monospace' }}
          />
        </label>
        <label style={{ display: 'flex', flexDirection: 'row', gap: 8, alignItems: 'center' }}>
          <input
            type="checkbox"
            checked={d.enabled}
            onChange={(e) => set('enabled')(e.target.checked)}
            disabled={readOnly}
          />
          Enabled
        </label>
        {!readOnly && (
          <p>
            <button type="submit">{rule ? 'Save rule' : 'Create rule'}</button>
          </p>
        )}
        {saved && <p role="status">{saved}</p>}
        <ErrorText error={error} />
      </form>
      <TestPanel draft={d} />
    </div>
  );
}

function TestPanel({ draft }: { draft: Draft }): JSX.Element {
  const [topic, setTopic] = useState('devices/b-1/telemetry');
  const [clientId, setClientId] = useState('b-1');
  const [payload, setPayload] = useState('{"temp": 91}');
  const [result, setResult] = useState<RuleTestResult>();
  const [error, setError] = useState<string>();
  const run = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const r = definitionOf({ ...draft, name: '' });
    if ('error' in r) return setError(r.error);
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      body = undefined;
    }
    try {
      setResult(
        await api<RuleTestResult>('POST', '/rules/test', {
          definition: r.def,
          topic,
          ...(clientId ? { clientId } : {}),
          ...(body === undefined ? { payloadBase64: btoa(payload) } : { payload: body }),
        }),
      );
      setError(undefined);
    } catch (err) {
      setResult(undefined);
      setError(message(err));
    }
  };
  return (
    <form onSubmit={(e) => void run(e)} aria-labelledby="test-h">
      <h3 id="test-h">Test (nothing is sent)</h3>
      <label>
        Topic
        <input aria-label="Test topic" value={topic} onChange={(e) => setTopic(e.target.value)} required />
      </label>
      <label>
        Client id
        <input aria-label="Test client id" value={clientId} onChange={(e) => setClientId(e.target.value)} />
      </label>
      <label>
        Payload
        <textarea
          rows={4}
          value={payload}
          aria-label="Test payload"
          onChange={(e) => setPayload(e.target.value)}
          spellCheck={false}
          style={{ fontFamily: 'monospace' }}
        />
      </label>
      <p>
        <button type="submit" className="secondary">
          Run test
        </button>
      </p>
      <ErrorText error={error} />
      {result && (
        <div data-testid="test-result">
          <p>
            Topic {result.topicMatches ? 'matches' : 'does not match'} the FROM filter; WHERE gives{' '}
            <code>{JSON.stringify(result.where) ?? 'Undefined'}</code>:{' '}
            <strong>{result.matched ? 'matched' : 'not matched'}</strong>
          </p>
          <pre data-testid="test-output">{JSON.stringify(result.output, null, 2)}</pre>
          <ul>
            {result.actions.map((a) => (
              <li key={a.index}>
                {a.type} → <code>{a.request.target}</code>
                {a.request.body !== undefined && (
                  <>
                    {' '}
                    <code>{atob(a.request.body)}</code>
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}
