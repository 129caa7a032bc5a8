import { budgetBar, formatPercent } from '../format';

const TONE: Record<string, 'ok' | 'warn' | 'bad'> = {
  in_service: 'ok',
  online: 'ok',
  succeeded: 'ok',
  delivered: 'ok',
  sent: 'ok',
  resolved: 'ok',
  maintenance: 'warn',
  queued: 'warn',
  acknowledged: 'warn',
  pending: 'warn',
  out_of_service: 'bad',
  offline: 'bad',
  failed: 'bad',
  timed_out: 'bad',
  expired: 'bad',
  rejected: 'bad',
  firing: 'bad',
  retired: 'warn',
  grouping: 'warn',
  ok: 'ok',
  disabled: 'warn',
  // alarms: states and severities
  ACTIVE_UNACK: 'bad',
  ACTIVE_ACK: 'warn',
  CLEARED_UNACK: 'warn',
  CLEARED_ACK: 'ok',
  critical: 'bad',
  error: 'bad',
  warning: 'warn',
  active: 'ok',
  revoked: 'bad',
};

export function Badge({ value }: { value: string | undefined | null }): JSX.Element {
  const v = value ?? 'unknown';
  return <span className={`badge ${TONE[v] ?? ''}`}>{v.replace(/_/g, ' ')}</span>;
}

export function BudgetBar({ remaining }: { remaining: number | null | undefined }): JSX.Element {
  const { width, tone } = budgetBar(remaining);
  return (
    <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
      <div
        className="bar"
        role="meter"
        aria-label="error budget remaining"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(width * 100)}
        style={{ flex: 1 }}
      >
        <span className={tone} style={{ width: `${width * 100}%` }} />
      </div>
      <span>{formatPercent(remaining, 1)}</span>
    </div>
  );
}

export function ErrorText({ error }: { error: string | undefined }): JSX.Element | null {
  return error ? (
    <p role="alert" className="error">
      {error}
    </p>
  ) : null;
}
