/**
 * Device models (operators and admins edit; viewers read): heartbeat, telemetry decoder, the
 * out-of-service command policy and the telemetry fields with their units. Validation errors from
 * the API appear beside the field they name.
 */
import { useState, type FormEvent } from 'react';
import { call } from '../api';
import type { DeviceModel } from '../api-types';
import { ErrorText } from '../components/bits';
import {
  ConfirmButton,
  Field,
  FormErrorText,
  errorFor,
  formError,
  type FormError,
} from '../components/forms';
import { useLoad } from '../hooks';

type Policy = '' | 'allow' | 'warn' | 'refuse';
interface FieldRow {
  key: string;
  unit: string;
  label: string;
}
interface Draft {
  name: string;
  description: string;
  intervalS: string;
  graceS: string;
  signOfLife: 'heartbeat' | 'any_message' | 'connection';
  decoder: string;
  policy: Policy;
  fields: FieldRow[];
}

const EMPTY: Draft = {
  name: '',
  description: '',
  intervalS: '',
  graceS: '',
  signOfLife: 'heartbeat',
  decoder: '',
  policy: '',
  fields: [],
};

function toDraft(m: DeviceModel): Draft {
  return {
    name: m.name,
    description: m.description ?? '',
    intervalS: m.heartbeat ? String(m.heartbeat.intervalMs / 1000) : '',
    graceS: m.heartbeat?.graceMs !== undefined ? String(m.heartbeat.graceMs / 1000) : '',
    signOfLife: m.heartbeat?.signOfLife ?? 'heartbeat',
    decoder: m.decoder ?? '',
    policy: m.outOfServiceCommands ?? '',
    fields: (m.fields ?? []).map((f) => ({ key: f.key, unit: f.unit ?? '', label: f.label ?? '' })),
  };
}

/** The form → the API's model body. Numbers the user typed go through as typed (the API says what is wrong). */
export function modelBody(d: Draft, keep?: DeviceModel): Record<string, unknown> {
  const seconds = (s: string): number => Math.round(Number(s) * 1000);
  return {
    name: d.name.trim(),
    description: d.description,
    ...(d.intervalS.trim()
      ? {
          heartbeat: {
            intervalMs: seconds(d.intervalS),
            ...(d.graceS.trim() ? { graceMs: seconds(d.graceS) } : {}),
            signOfLife: d.signOfLife,
          },
        }
      : {}),
    ...(d.decoder ? { decoder: d.decoder } : {}),
    ...(d.policy ? { outOfServiceCommands: d.policy } : {}),
    fields: d.fields
      .filter((f) => f.key.trim() || f.unit.trim() || f.label.trim())
      .map((f) => ({
        key: f.key.trim(),
        ...(f.unit.trim() ? { unit: f.unit.trim() } : {}),
        ...(f.label.trim() ? { label: f.label.trim() } : {}),
      })),
    // Parts the form does not edit are kept as they are.
    ...(keep?.acl ? { acl: keep.acl } : {}),
    ...(keep?.decoders ? { decoders: keep.decoders } : {}),
    ...(keep?.shadow ? { shadow: keep.shadow } : {}),
    ...(keep?.attributes ? { attributes: keep.attributes } : {}),
  };
}

export function ModelsPage({ canEdit }: { canEdit: boolean }): JSX.Element {
  const models = useLoad(() => call('/device-models', 'get'), []);
  const decoders = useLoad(() => call('/decoders', 'get'), []);
  const [editing, setEditing] = useState<DeviceModel | 'new'>();
  const [error, setError] = useState<string>();
  const items = models.data?.items ?? [];
  const remove = async (name: string): Promise<void> => {
    try {
      await call('/device-models/:name', 'delete', { params: { name } });
      setError(undefined);
      setEditing(undefined);
      models.reload();
    } catch (e) {
      setError(formError(e).message);
    }
  };
  return (
    <>
      <h1>Device models</h1>
      <p className="muted">
        A model gives its devices a heartbeat deadline, a telemetry decoder, units for their telemetry and the
        policy for commands while they are out of service. Changes reach running devices within about a
        minute.
      </p>
      {canEdit && !editing && (
        <p>
          <button type="button" onClick={() => setEditing('new')}>
            New model
          </button>
        </p>
      )}
      {editing && (
        <ModelForm
          key={editing === 'new' ? '' : editing.name}
          model={editing === 'new' ? undefined : editing}
          decoders={(decoders.data?.items ?? []).map((d) => ({ id: d.id, name: d.name ?? d.id }))}
          onDone={() => {
            setEditing(undefined);
            models.reload();
          }}
        />
      )}
      <section className="panel" aria-labelledby="models-h">
        <h2 id="models-h">Models</h2>
        <ErrorText error={models.error ?? error} />
        {models.loading && !models.data && <p className="muted">Loading…</p>}
        {models.data && items.length === 0 && (
          <p className="muted">No model yet{canEdit ? ': create one with New model.' : '.'}</p>
        )}
        {items.length > 0 && (
          <table data-testid="models">
            <thead>
              <tr>
                <th>Name</th>
                <th>Heartbeat</th>
                <th>Decoder</th>
                <th>Out of service</th>
                <th>Fields</th>
                {canEdit && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.name}>
                  <td>
                    {m.name}
                    {m.description ? <span className="muted"> · {m.description}</span> : null}
                  </td>
                  <td>
                    {m.heartbeat
                      ? `${m.heartbeat.intervalMs / 1000} s + ${(m.heartbeat.graceMs ?? 0) / 1000} s`
                      : '—'}
                  </td>
                  <td>{m.decoder ?? '—'}</td>
                  <td>{m.outOfServiceCommands ?? 'platform default'}</td>
                  <td>
                    {(m.fields ?? []).map((f) => (f.unit ? `${f.key} (${f.unit})` : f.key)).join(', ') || '—'}
                  </td>
                  {canEdit && (
                    <td className="row">
                      <button type="button" className="secondary" onClick={() => setEditing(m)}>
                        Edit {m.name}
                      </button>
                      <ConfirmButton
                        label="Delete"
                        confirm={`Delete model ${m.name}?`}
                        onConfirm={() => void remove(m.name)}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function ModelForm({
  model,
  decoders,
  onDone,
}: {
  model: DeviceModel | undefined;
  decoders: { id: string; name: string }[];
  onDone: () => void;
}): JSX.Element {
  const [d, setD] = useState<Draft>(model ? toDraft(model) : EMPTY);
  const [err, setErr] = useState<FormError>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]): void => setD((x) => ({ ...x, [k]: v }));
  const setRow = (i: number, k: keyof FieldRow, v: string): void =>
    setD((x) => ({ ...x, fields: x.fields.map((f, j) => (j === i ? { ...f, [k]: v } : f)) }));
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      const body = modelBody(d, model) as never;
      if (model) await call('/device-models/:name', 'put', { params: { name: model.name }, body });
      else await call('/device-models', 'post', { body });
      setErr(undefined);
      onDone();
    } catch (x) {
      setErr(formError(x));
    } finally {
      setBusy(false);
    }
  };
  const fieldsErr = errorFor(err, 'fields');
  return (
    <form className="panel" aria-labelledby="model-form-h" onSubmit={(e) => void submit(e)}>
      <h2 id="model-form-h">{model ? `Edit model ${model.name}` : 'New model'}</h2>
      <div className="form-grid">
        <Field
          label="Name"
          name="name"
          err={err}
          value={d.name}
          required
          disabled={model !== undefined}
          onChange={(e) => set('name', e.target.value)}
        />
        <Field
          label="Description"
          name="description"
          err={err}
          value={d.description}
          onChange={(e) => set('description', e.target.value)}
        />
        <Field
          label="Heartbeat interval (s)"
          name="heartbeat.intervalMs"
          err={err}
          hint="empty: no heartbeat deadline"
          inputMode="decimal"
          value={d.intervalS}
          onChange={(e) => set('intervalS', e.target.value)}
        />
        <Field
          label="Grace (s)"
          name="heartbeat.graceMs"
          err={err}
          inputMode="decimal"
          value={d.graceS}
          onChange={(e) => set('graceS', e.target.value)}
        />
        <Field label="Sign of life" name="heartbeat.signOfLife" err={err}>
          <select
            id="f-heartbeat-signOfLife"
            value={d.signOfLife}
            onChange={(e) => set('signOfLife', e.target.value as Draft['signOfLife'])}
          >
            <option value="heartbeat">heartbeat messages</option>
            <option value="any_message">any message</option>
            <option value="connection">being connected</option>
          </select>
        </Field>
        <Field label="Telemetry decoder" name="decoder" err={err}>
          <select id="f-decoder" value={d.decoder} onChange={(e) => set('decoder', e.target.value)}>
            <option value="">none (JSON as sent)</option>
            {decoders.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name === x.id ? x.id : `${x.name} (${x.id})`}
              </option>
            ))}
            {d.decoder && !decoders.some((x) => x.id === d.decoder) && (
              <option value={d.decoder}>{d.decoder} (not defined)</option>
            )}
          </select>
        </Field>
        <Field label="Commands while out of service" name="outOfServiceCommands" err={err}>
          <select
            id="f-outOfServiceCommands"
            value={d.policy}
            onChange={(e) => set('policy', e.target.value as Policy)}
          >
            <option value="">platform default</option>
            <option value="allow">allow</option>
            <option value="warn">warn (send, with a warning)</option>
            <option value="refuse">refuse</option>
          </select>
        </Field>
      </div>
      <fieldset>
        <legend>Telemetry fields (units and labels for charts and latest values)</legend>
        {d.fields.length === 0 && <p className="muted">No fields: values show without units.</p>}
        {d.fields.map((f, i) => (
          <div className="row" key={i} style={{ marginBottom: 6 }}>
            <Field
              label="Key"
              name={`fields[${i}].key`}
              err={err}
              value={f.key}
              onChange={(e) => setRow(i, 'key', e.target.value)}
            />
            <Field
              label="Unit"
              name={`fields[${i}].unit`}
              err={err}
              value={f.unit}
              size={8}
              onChange={(e) => setRow(i, 'unit', e.target.value)}
            />
            <Field
              label="Label"
              name={`fields[${i}].label`}
              err={err}
              value={f.label}
              onChange={(e) => setRow(i, 'label', e.target.value)}
            />
            <button
              type="button"
              className="secondary"
              aria-label={`Remove field ${f.key || i + 1}`}
              onClick={() => setD((x) => ({ ...x, fields: x.fields.filter((_, j) => j !== i) }))}
            >
              Remove
            </button>
          </div>
        ))}
        {fieldsErr && !/fields\[\d+\]/.test(err?.field ?? '') && (
          <p role="alert" className="error">
            {fieldsErr}
          </p>
        )}
        <button
          type="button"
          className="secondary"
          onClick={() => setD((x) => ({ ...x, fields: [...x.fields, { key: '', unit: '', label: '' }] }))}
        >
          Add field
        </button>
      </fieldset>
      <FormErrorText
        err={err}
        fields={['name', 'description', 'heartbeat', 'decoder', 'outOfServiceCommands', 'fields']}
      />
      <p className="row">
        <button type="submit" disabled={busy}>
          {model ? 'Save model' : 'Create model'}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </p>
    </form>
  );
}
