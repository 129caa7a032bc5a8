/** Notification routes: which events (kinds, severity, models, tags) go to which channels. */
import { useState, type FormEvent } from 'react';
import { call } from '../../api';
import type { Body, NotificationChannel, NotificationRoute } from '../../api-types';
import { Badge, ErrorText } from '../../components/bits';
import {
  ConfirmButton,
  Field,
  FormErrorText,
  errorFor,
  formError,
  splitList,
  type FormError,
} from '../../components/forms';
import type { Loaded } from '../../hooks';

type RouteBody = Body<'/notification-routes', 'post'>;
type Kind = NonNullable<RouteBody['kinds']>[number];
type Severity = NonNullable<RouteBody['minSeverity']>;
const KINDS: Kind[] = [
  'service-state.changed',
  'health.alert',
  'device.flapping',
  'device.event',
  'slo.alert',
  'slo.budget-exhausted',
  'schedule.execution',
  'job.rollout-stopped',
  'job.finished',
  'rule',
];
const SEVERITIES: Severity[] = ['info', 'warning', 'error', 'critical'];

export function RoutesPanel({
  routes,
  channels,
  canEdit,
}: {
  routes: Loaded<NotificationRoute[]>;
  channels: NotificationChannel[];
  canEdit: boolean;
}): JSX.Element {
  const [editing, setEditing] = useState<NotificationRoute | 'new'>();
  const [error, setError] = useState<string>();
  const channelName = (id: string): string => channels.find((c) => c.id === id)?.name ?? id;
  const remove = async (id: string): Promise<void> => {
    try {
      await call('/notification-routes/:id', 'delete', { params: { id } });
      setError(undefined);
      routes.reload();
    } catch (e) {
      setError(formError(e).message);
    }
  };
  const list = routes.data ?? [];
  return (
    <section className="panel" aria-labelledby="rt-h">
      <h2 id="rt-h">Routes</h2>
      <ErrorText error={routes.error ?? error} />
      {routes.loading && !routes.data && <p className="muted">Loading…</p>}
      {routes.data && list.length === 0 && <p className="muted">No route yet: nothing is sent.</p>}
      {list.length > 0 && (
        <table data-testid="routes">
          <tbody>
            {list.map((r) => (
              <tr key={r.id}>
                <td>
                  {r.name} {r.enabled === false && <Badge value="disabled" />}
                  <div className="muted">
                    {(r.kinds ?? []).join(', ') || 'all events'}
                    {r.minSeverity ? ` · ≥ ${r.minSeverity}` : ''}
                    {r.models?.length ? ` · models ${r.models.join(', ')}` : ''}
                    {r.tags?.length ? ` · tags ${r.tags.join(', ')}` : ''} →{' '}
                    {(r.channelIds ?? []).map(channelName).join(', ')}
                  </div>
                </td>
                {canEdit && (
                  <td className="row">
                    <button type="button" className="secondary" onClick={() => setEditing(r)}>
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      confirm={`Delete route ${r.name ?? ''}?`}
                      onConfirm={() => void remove(r.id!)}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canEdit && !editing && (
        <button type="button" onClick={() => setEditing('new')} disabled={channels.length === 0}>
          New route
        </button>
      )}
      {editing && (
        <RouteForm
          key={editing === 'new' ? '' : editing.id}
          route={editing === 'new' ? undefined : editing}
          channels={channels}
          onDone={() => {
            setEditing(undefined);
            routes.reload();
          }}
        />
      )}
    </section>
  );
}

function RouteForm({
  route,
  channels,
  onDone,
}: {
  route: NotificationRoute | undefined;
  channels: NotificationChannel[];
  onDone: () => void;
}): JSX.Element {
  const [name, setName] = useState(route?.name ?? '');
  const [channelIds, setChannelIds] = useState<string[]>(route?.channelIds ?? []);
  const [kinds, setKinds] = useState<string[]>(route?.kinds ?? []);
  const [minSeverity, setMinSeverity] = useState<Severity>(
    (route?.minSeverity as Severity | undefined) ?? 'info',
  );
  const [models, setModels] = useState((route?.models ?? []).join(', '));
  const [tags, setTags] = useState((route?.tags ?? []).join(', '));
  const [enabled, setEnabled] = useState(route?.enabled ?? true);
  const [err, setErr] = useState<FormError>();
  const toggle = (list: string[], v: string): string[] =>
    list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const body: RouteBody = {
      name: name.trim(),
      channelIds,
      kinds: kinds as Kind[],
      minSeverity,
      models: splitList(models),
      tags: splitList(tags),
      enabled,
    };
    try {
      if (route) await call('/notification-routes/:id', 'put', { params: { id: route.id! }, body });
      else await call('/notification-routes', 'post', { body });
      setErr(undefined);
      onDone();
    } catch (x) {
      setErr(formError(x));
    }
  };
  return (
    <form aria-labelledby="rt-form-h" onSubmit={(e) => void submit(e)} style={{ marginTop: 12 }}>
      <h3 id="rt-form-h">{route ? `Edit route ${route.name ?? ''}` : 'New route'}</h3>
      <div className="form-grid">
        <Field
          label="Name"
          name="name"
          err={err}
          value={name}
          required
          onChange={(e) => setName(e.target.value)}
        />
        <Field label="Lowest severity sent" name="minSeverity" err={err}>
          <select
            id="f-minSeverity"
            value={minSeverity}
            onChange={(e) => setMinSeverity(e.target.value as Severity)}
          >
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field
          label="Models (comma-separated; empty: all)"
          name="models"
          err={err}
          value={models}
          onChange={(e) => setModels(e.target.value)}
        />
        <Field
          label="Tags (comma-separated; empty: all)"
          name="tags"
          err={err}
          value={tags}
          onChange={(e) => setTags(e.target.value)}
        />
      </div>
      <fieldset>
        <legend>Channels</legend>
        {channels.map((c) => (
          <label key={c.id} className="inline check">
            <input
              type="checkbox"
              checked={channelIds.includes(c.id ?? '')}
              onChange={() => setChannelIds((l) => toggle(l, c.id ?? ''))}
            />{' '}
            {c.name}
          </label>
        ))}
        {errorFor(err, 'channelIds') && (
          <p role="alert" className="error">
            {errorFor(err, 'channelIds')}
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>Events (none ticked: all)</legend>
        {KINDS.map((k) => (
          <label key={k} className="inline check">
            <input
              type="checkbox"
              checked={kinds.includes(k)}
              onChange={() => setKinds((l) => toggle(l, k))}
            />{' '}
            {k}
          </label>
        ))}
      </fieldset>
      <label className="inline check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
      </label>
      <FormErrorText err={err} fields={['name', 'channelIds', 'minSeverity', 'models', 'tags']} />
      <p className="row">
        <button type="submit">{route ? 'Save route' : 'Create route'}</button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </p>
    </form>
  );
}
