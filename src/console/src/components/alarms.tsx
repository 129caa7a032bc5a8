/** Alarm pieces shared by the Alarms page, the alarm detail and the device page. */
import { useState } from 'react';
import { ApiError, call } from '../api';
import type { Paths } from '../api-schema';
import { formatTime } from '../format';
import { Badge, ErrorText } from './bits';

export type Alarm = Paths['/alarms/:id']['get']['response'];

/** The steps a person may take from each state (ThingsBoard's alarm model). */
export const canAck = (a: Alarm): boolean => a.state === 'ACTIVE_UNACK' || a.state === 'CLEARED_UNACK';
export const canClear = (a: Alarm): boolean => a.state === 'ACTIVE_UNACK' || a.state === 'ACTIVE_ACK';

/** What the alarm is about, readable: the device id, `SLO <id>`, or the rule. */
export function originatorLabel(a: Alarm): string {
  if (a.deviceId) return a.deviceId;
  if (a.sloId) return `SLO ${a.sloId}`;
  return a.ruleId ? `rule ${a.ruleId}` : a.originator;
}

/** Who (a person, a token, `system` or a rule) and, below it, when; — when nobody has yet. */
export function WhoWhen({
  by,
  at,
}: {
  by: string | null | undefined;
  at: number | null | undefined;
}): JSX.Element {
  if (!by) return <>—</>;
  return (
    <>
      {by}
      <div className="muted" style={{ fontSize: 13 }}>
        {at ? formatTime(at) : '—'}
      </div>
    </>
  );
}

/** Ack and Clear buttons for one alarm; `onDone` gets the updated alarm. */
export function AlarmActions({ alarm, onDone }: { alarm: Alarm; onDone: (a: Alarm) => void }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const act = (verb: 'ack' | 'clear'): void => {
    setBusy(true);
    setError(undefined);
    const path = verb === 'ack' ? '/alarms/:id/ack' : '/alarms/:id/clear';
    call(path, 'post', { params: { id: String(alarm.id) } }).then(
      (a) => {
        setBusy(false);
        onDone(a);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e instanceof ApiError ? e.message : String(e));
      },
    );
  };
  const label = `${alarm.type} on ${originatorLabel(alarm)}`;
  return (
    <span style={{ display: 'inline-flex', gap: 6, flexWrap: 'wrap' }}>
      {canAck(alarm) && (
        <button disabled={busy} onClick={() => act('ack')} aria-label={`Acknowledge ${label}`}>
          Ack
        </button>
      )}
      {canClear(alarm) && (
        <button
          className="secondary"
          disabled={busy}
          onClick={() => act('clear')}
          aria-label={`Clear ${label}`}
        >
          Clear
        </button>
      )}
      <ErrorText error={error} />
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: string }): JSX.Element {
  return <Badge value={severity} />;
}
