/**
 * Create or change a device: id (new only), name, model, tags, customer (admins) and attributes as
 * JSON. The customer is not a device field: customers own devices by id (docs/identity.md), so
 * choosing one adds the id to that customer's list and removes it from the previous one.
 */
import { useState, type FormEvent } from 'react';
import { call } from '../../api';
import type { Device } from '../../api-types';
import { Field, FormErrorText, formError, splitList, type FormError } from '../../components/forms';
import { useLoad } from '../../hooks';
import { parseJsonObject } from '../../parse';

type Customer = { id: string; name: string; devices: string[]; models: string[]; tags: string[] };

export function DeviceForm({
  device,
  isAdmin,
  onSaved,
  onCancel,
}: {
  device?: Device | undefined;
  isAdmin: boolean;
  onSaved: (d: Device, credential: boolean) => void;
  onCancel?: () => void;
}): JSX.Element {
  const models = useLoad(() => call('/device-models', 'get'), []);
  const customers = useLoad(
    () => (isAdmin ? call('/customers', 'get') : Promise.resolve({ items: [] as Customer[] })),
    [isAdmin],
  );
  const ownerOf = (id: string): string =>
    (customers.data?.items ?? []).find((c) => c.devices.includes(id))?.id ?? '';
  const [id, setId] = useState(device?.id ?? '');
  const [name, setName] = useState(device?.name ?? '');
  const [model, setModel] = useState(device?.model ?? '');
  const [tags, setTags] = useState((device?.tags ?? []).join(', '));
  const [customer, setCustomer] = useState<string>();
  const [attributes, setAttributes] = useState(
    device && Object.keys(device.attributes).length ? JSON.stringify(device.attributes, null, 2) : '',
  );
  const [credential, setCredential] = useState(true);
  const [err, setErr] = useState<FormError>();
  const [busy, setBusy] = useState(false);
  const chosenCustomer = customer ?? (device ? ownerOf(device.id) : '');

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const attrs = attributes.trim() ? parseJsonObject(attributes, 'Attributes') : {};
    if (typeof attrs === 'string') return setErr({ field: 'attributes', message: attrs });
    setBusy(true);
    try {
      const fields = { name: name.trim(), model: model || null, tags: splitList(tags), attributes: attrs };
      const saved = device
        ? await call('/devices/:id', 'patch', { params: { id: device.id }, body: fields })
        : await call('/devices', 'post', { body: { id: id.trim(), ...fields } });
      if (isAdmin && customer !== undefined) await moveToCustomer(saved.id, ownerOf(saved.id), customer);
      setErr(undefined);
      onSaved(saved, !device && credential);
    } catch (x) {
      setErr(formError(x));
    } finally {
      setBusy(false);
    }
  };
  const moveToCustomer = async (deviceId: string, from: string, to: string): Promise<void> => {
    if (from === to) return;
    const all = customers.data?.items ?? [];
    const old = all.find((c) => c.id === from);
    if (old)
      await call('/customers/:id', 'put', {
        params: { id: old.id },
        body: { devices: old.devices.filter((d) => d !== deviceId) },
      });
    const next = all.find((c) => c.id === to);
    if (next)
      await call('/customers/:id', 'put', {
        params: { id: next.id },
        body: { devices: [...next.devices, deviceId] },
      });
  };
  return (
    <form className="panel" aria-labelledby="dev-form-h" onSubmit={(e) => void submit(e)}>
      <h2 id="dev-form-h">{device ? 'Device settings' : 'New device'}</h2>
      <div className="form-grid">
        <Field
          label="Device id (the MQTT client id)"
          name="id"
          err={err}
          value={id}
          required
          disabled={device !== undefined}
          placeholder="scooter-0042"
          onChange={(e) => setId(e.target.value)}
        />
        <Field label="Name" name="name" err={err} value={name} onChange={(e) => setName(e.target.value)} />
        <Field label="Model" name="model" err={err}>
          <select id="f-model" value={model} onChange={(e) => setModel(e.target.value)}>
            <option value="">no model</option>
            {(models.data?.items ?? []).map((m) => (
              <option key={m.name}>{m.name}</option>
            ))}
            {model && !(models.data?.items ?? []).some((m) => m.name === model) && (
              <option value={model}>{model}</option>
            )}
          </select>
        </Field>
        <Field
          label="Tags (comma-separated)"
          name="tags"
          err={err}
          value={tags}
          placeholder="berlin, fleet-a"
          onChange={(e) => setTags(e.target.value)}
        />
        {isAdmin && (
          <Field label="Customer" name="customer" err={err}>
            <select id="f-customer" value={chosenCustomer} onChange={(e) => setCustomer(e.target.value)}>
              <option value="">none</option>
              {(customers.data?.items ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
        )}
      </div>
      <Field label="Attributes (JSON object)" name="attributes" err={err}>
        <textarea
          id="f-attributes"
          rows={4}
          value={attributes}
          placeholder='{"site": "depot-3"}'
          onChange={(e) => setAttributes(e.target.value)}
        />
      </Field>
      {!device && (
        <label className="inline check">
          <input type="checkbox" checked={credential} onChange={(e) => setCredential(e.target.checked)} />{' '}
          Create a password credential (its secret is shown once)
        </label>
      )}
      <FormErrorText err={err} fields={['id', 'name', 'model', 'tags', 'attributes', 'customer']} />
      <p className="row">
        <button type="submit" disabled={busy}>
          {device ? 'Save device' : 'Create device'}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </p>
    </form>
  );
}
