import { useState } from 'react';
import { ApiError, call } from '../../api';
import type { Command } from '../../api-types';
import { Badge, ErrorText } from '../../components/bits';
import { formatMs, formatTime } from '../../format';
import { useLoad } from '../../hooks';

export function CommandsTab({
  id,
  canEdit,
  live,
}: {
  id: string;
  canEdit: boolean;
  live: number;
}): JSX.Element {
  const path = { id };
  const list = useLoad(
    () => call('/devices/:id/commands', 'get', { params: path, query: { limit: 50 } }),
    [id, live],
  );
  const [name, setName] = useState('unlock');
  const [params, setParams] = useState('{}');
  const [timeoutMs, setTimeoutMs] = useState('10000');
  const [offline, setOffline] = useState<'reject' | 'queue'>('reject');
  const [busy, setBusy] = useState(false);
  const [last, setLast] = useState<Command>();
  const [warnings, setWarnings] = useState<string[]>([]);
  const [refused, setRefused] = useState<string>();
  const [error, setError] = useState<string>();
  const send = async (): Promise<void> => {
    let p: unknown;
    try {
      p = JSON.parse(params || '{}');
    } catch {
      setError('Parameters must be JSON');
      return;
    }
    setBusy(true);
    setError(undefined);
    setRefused(undefined);
    setWarnings([]);
    try {
      // wait: true long-polls until the command's outcome (or its timeout).
      const c = await call('/devices/:id/commands', 'post', {
        params: path,
        body: { name: name.trim(), params: p, timeoutMs: Number(timeoutMs), offline, wait: true },
      });
      setLast(c);
      setWarnings((c.warnings ?? []).map((w) => w.message ?? w.code ?? 'warning'));
      list.reload();
    } catch (e) {
      // The out-of-service policy `refuse`: nothing was sent; say why, apart from other errors.
      if (e instanceof ApiError && e.code === 'DEVICE_OUT_OF_SERVICE') setRefused(e.message);
      else setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {canEdit && (
        <section className="panel" aria-labelledby="send-h">
          <h2 id="send-h">Send a command</h2>
          <div className="filters">
            <label>
              Command
              <input value={name} onChange={(e) => setName(e.target.value)} list="command-names" />
              <datalist id="command-names">
                <option value="unlock" />
                <option value="lock" />
                <option value="reboot" />
              </datalist>
            </label>
            <label style={{ flex: 1 }}>
              Parameters (JSON)
              <input value={params} onChange={(e) => setParams(e.target.value)} />
            </label>
            <label>
              Timeout (ms)
              <input
                value={timeoutMs}
                onChange={(e) => setTimeoutMs(e.target.value)}
                inputMode="numeric"
                size={7}
              />
            </label>
            <label>
              If offline
              <select value={offline} onChange={(e) => setOffline(e.target.value as 'reject' | 'queue')}>
                <option value="reject">refuse</option>
                <option value="queue">queue until it connects</option>
              </select>
            </label>
            <button onClick={() => void send()} disabled={busy}>
              {busy ? 'Waiting…' : 'Send'}
            </button>
          </div>
          <ErrorText error={error} />
          {refused && (
            <p role="alert" className="error" data-testid="command-refused">
              Refused: {refused}
            </p>
          )}
          {warnings.map((w) => (
            <p key={w} role="status" className="warning" data-testid="command-warning">
              ⚠ {w}
            </p>
          ))}
          {last && (
            <p data-testid="command-outcome">
              {last.name}: <Badge value={last.status} /> reply {formatMs(last.replyLatencyMs)}
              {last.confirmLatencyMs !== undefined && last.confirmLatencyMs !== null && (
                <> · confirmed {formatMs(last.confirmLatencyMs)}</>
              )}
              {reason(last) && <> · {reason(last)}</>}
            </p>
          )}
        </section>
      )}
      <section className="panel" aria-labelledby="cmds-h">
        <h2 id="cmds-h">Recent commands</h2>
        <ErrorText error={list.error} />
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Command</th>
              <th>Outcome</th>
              <th>Reason</th>
              <th>Reply latency</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items?.map((c) => (
              <tr key={c.id}>
                <td>{formatTime(c.requestedAt)}</td>
                <td>{c.name}</td>
                <td>
                  <Badge value={c.status} />
                </td>
                <td>{reason(c) ?? ''}</td>
                <td>{formatMs(c.replyLatencyMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

/** Why a command did not succeed, as the device or the platform said it (code and message). */
function reason(c: Command): string | undefined {
  if (!c.errorCode && !c.errorMessage) return undefined;
  return [c.errorCode, c.errorMessage].filter(Boolean).join(': ');
}
