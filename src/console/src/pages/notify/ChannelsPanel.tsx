/**
 * Notification channels: list, create, edit (URL and signing secret are write-only: leave them
 * empty to keep them), delete, and "Send a test message", which posts through the real channel
 * now and shows what its endpoint answered.
 */
import { useState, type FormEvent } from 'react';
import { call } from '../../api';
import type { NotificationChannel } from '../../api-types';
import { Badge, ErrorText } from '../../components/bits';
import { ConfirmButton, Field, FormErrorText, formError, type FormError } from '../../components/forms';
import type { Loaded } from '../../hooks';

type ChannelType = 'slack' | 'webhook';
type Tested = { ok: boolean; text: string };

export function ChannelsPanel({
  channels,
  canEdit,
}: {
  channels: Loaded<NotificationChannel[]>;
  canEdit: boolean;
}): JSX.Element {
  const [editing, setEditing] = useState<NotificationChannel | 'new'>();
  const [tested, setTested] = useState<Record<string, Tested | 'sending'>>({});
  const [error, setError] = useState<string>();
  const test = async (id: string): Promise<void> => {
    setTested((t) => ({ ...t, [id]: 'sending' }));
    try {
      const r = await call('/notification-channels/:id/test', 'post', { params: { id } });
      const text = r.delivered
        ? `Delivered (HTTP ${r.statusCode})`
        : `Not delivered: ${r.error ?? 'no answer'}${r.statusCode && !r.error?.includes(String(r.statusCode)) ? ` (HTTP ${r.statusCode})` : ''}`;
      setTested((t) => ({ ...t, [id]: { ok: r.delivered, text } }));
    } catch (e) {
      setTested((t) => ({ ...t, [id]: { ok: false, text: formError(e).message } }));
    }
  };
  const remove = async (id: string): Promise<void> => {
    try {
      await call('/notification-channels/:id', 'delete', { params: { id } });
      setError(undefined);
      channels.reload();
    } catch (e) {
      setError(formError(e).message);
    }
  };
  const list = channels.data ?? [];
  return (
    <section className="panel" aria-labelledby="ch-h">
      <h2 id="ch-h">Channels</h2>
      <ErrorText error={channels.error ?? error} />
      {channels.loading && !channels.data && <p className="muted">Loading…</p>}
      {channels.data && list.length === 0 && <p className="muted">No channel yet: nothing can be sent.</p>}
      {list.length > 0 && (
        <table data-testid="channels">
          <tbody>
            {list.map((c) => {
              const cid = c.id ?? '';
              const t = tested[cid];
              return (
                <tr key={cid}>
                  <td>
                    {c.name}
                    <div className="muted">
                      {c.type} · {c.url ?? ''} {c.enabled === false && <Badge value="disabled" />}
                    </div>
                    {t && (
                      <div
                        role="status"
                        data-testid="test-result"
                        className={t === 'sending' ? 'muted' : t.ok ? '' : 'error'}
                      >
                        {t === 'sending' ? 'Sending…' : t.text}
                      </div>
                    )}
                  </td>
                  {canEdit && (
                    <td className="row">
                      <button
                        type="button"
                        className="secondary"
                        disabled={t === 'sending'}
                        onClick={() => void test(cid)}
                      >
                        Send a test message
                      </button>
                      <button type="button" className="secondary" onClick={() => setEditing(c)}>
                        Edit
                      </button>
                      <ConfirmButton
                        label="Delete"
                        confirm={`Delete channel ${c.name}?`}
                        onConfirm={() => void remove(cid)}
                      />
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {canEdit && !editing && (
        <button type="button" onClick={() => setEditing('new')}>
          New channel
        </button>
      )}
      {editing && (
        <ChannelForm
          key={editing === 'new' ? '' : editing.id}
          channel={editing === 'new' ? undefined : editing}
          onDone={() => {
            setEditing(undefined);
            channels.reload();
          }}
        />
      )}
    </section>
  );
}

function ChannelForm({
  channel,
  onDone,
}: {
  channel: NotificationChannel | undefined;
  onDone: () => void;
}): JSX.Element {
  const [name, setName] = useState(channel?.name ?? '');
  const [type, setType] = useState<ChannelType>((channel?.type as ChannelType | undefined) ?? 'webhook');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [windowS, setWindowS] = useState(String((channel?.groupWindowMs ?? 60_000) / 1000));
  const [enabled, setEnabled] = useState(channel?.enabled ?? true);
  const [err, setErr] = useState<FormError>();
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (channel && !url.trim())
      return setErr({ field: 'url', message: 'url: enter the URL again (it is write-only and not shown)' });
    const body = {
      name: name.trim(),
      type,
      url: url.trim(),
      groupWindowMs: Math.round(Number(windowS) * 1000),
      enabled,
      ...(secret ? { secret } : {}),
    };
    try {
      if (channel)
        await call('/notification-channels/:id', 'put', { params: { id: channel.id ?? '' }, body });
      else await call('/notification-channels', 'post', { body });
      setErr(undefined);
      onDone();
    } catch (x) {
      setErr(formError(x));
    }
  };
  return (
    <form aria-labelledby="ch-form-h" onSubmit={(e) => void submit(e)} style={{ marginTop: 12 }}>
      <h3 id="ch-form-h">{channel ? `Edit channel ${channel.name}` : 'New channel'}</h3>
      <div className="form-grid">
        <Field
          label="Name"
          name="name"
          err={err}
          value={name}
          required
          onChange={(e) => setName(e.target.value)}
        />
        <Field label="Type" name="type" err={err}>
          <select id="f-type" value={type} onChange={(e) => setType(e.target.value as ChannelType)}>
            <option value="webhook">webhook (JSON POST)</option>
            <option value="slack">Slack incoming webhook</option>
          </select>
        </Field>
        <Field
          label="URL"
          name="url"
          err={err}
          value={url}
          type="url"
          required={!channel}
          placeholder={channel ? `${channel.url ?? ''} (write-only: enter again)` : 'https://…'}
          onChange={(e) => setUrl(e.target.value)}
        />
        {type === 'webhook' && (
          <Field
            label="Signing secret"
            name="secret"
            err={err}
            value={secret}
            type="password"
            autoComplete="new-password"
            hint={
              channel?.hasSecret ? 'set; leave empty to keep it' : 'optional: HMAC-SHA256 signature header'
            }
            onChange={(e) => setSecret(e.target.value)}
          />
        )}
        <Field
          label="Group window (s)"
          name="groupWindowMs"
          err={err}
          inputMode="numeric"
          value={windowS}
          hint="events of one kind and reason within it become one message"
          onChange={(e) => setWindowS(e.target.value)}
        />
      </div>
      <label className="inline check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
      </label>
      <FormErrorText err={err} fields={['name', 'type', 'url', 'secret', 'groupWindowMs']} />
      <p className="row">
        <button type="submit">{channel ? 'Save channel' : 'Create channel'}</button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </p>
    </form>
  );
}
