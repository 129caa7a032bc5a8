/**
 * A device's settings (operators and admins): edit its fields, manage its credentials (create,
 * rotate, revoke; a new password is shown once) and delete it.
 */
import { useState } from 'react';
import { call } from '../../api';
import type { Device } from '../../api-types';
import { Badge, ErrorText } from '../../components/bits';
import { ConfirmButton, SecretDialog, formError } from '../../components/forms';
import { formatTime } from '../../format';
import { useLoad } from '../../hooks';
import { navigate } from '../../router';
import { DeviceForm } from './DeviceForm';

export function SettingsTab({
  device,
  isAdmin,
  onChanged,
}: {
  device: Device;
  isAdmin: boolean;
  onChanged: () => void;
}): JSX.Element {
  const id = device.id;
  const creds = useLoad(() => call('/devices/:id/credentials', 'get', { params: { id } }), [id]);
  const [secret, setSecret] = useState<{ title: string; secret: string }>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const act = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
      setError(undefined);
      creds.reload();
    } catch (e) {
      setError(formError(e).message);
    }
  };
  const create = () =>
    act(async () => {
      const r = await call('/devices/:id/credentials', 'post', {
        params: { id },
        body: { kind: 'password' },
      });
      if (r.secret)
        setSecret({
          title: `Password for ${id} (username ${r.credential.username ?? id})`,
          secret: r.secret,
        });
    });
  const rotate = (cid: string) =>
    act(async () => {
      const r = await call('/devices/:id/credentials/:credentialId/rotate', 'post', {
        params: { id, credentialId: cid },
        body: {},
      });
      setSecret({
        title: `New password for ${id} (the old one works for 24 h more)`,
        secret: r.secret,
      });
    });
  const revoke = (cid: string) =>
    act(async () => {
      await call('/devices/:id/credentials/:credentialId/revoke', 'post', {
        params: { id, credentialId: cid },
      });
    });
  const remove = async (): Promise<void> => {
    try {
      await call('/devices/:id', 'delete', { params: { id } });
      navigate('/devices');
    } catch (e) {
      setError(formError(e).message);
    }
  };
  const items = creds.data?.items ?? [];
  return (
    <>
      {secret && (
        <SecretDialog
          title={secret.title}
          secret={secret.secret}
          note="Put it on the device (MQTT password)."
          onClose={() => setSecret(undefined)}
        />
      )}
      <DeviceForm
        device={device}
        isAdmin={isAdmin}
        onSaved={() => {
          setSaved(true);
          onChanged();
        }}
      />
      {saved && (
        <p role="status" className="muted">
          Saved.
        </p>
      )}
      <section className="panel" aria-labelledby="creds-h">
        <h2 id="creds-h">Credentials</h2>
        <ErrorText error={creds.error ?? error} />
        {creds.loading && !creds.data && <p className="muted">Loading…</p>}
        {creds.data && items.length === 0 && (
          <p className="muted">No credentials: the device cannot connect (unless anonymous access is on).</p>
        )}
        {items.length > 0 && (
          <table data-testid="credentials">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Username / fingerprint</th>
                <th>Created</th>
                <th>Status</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>{c.kind}</td>
                  <td>{c.username ?? c.fingerprint ?? '—'}</td>
                  <td>{c.createdAt ? formatTime(c.createdAt) : '—'}</td>
                  <td>
                    <Badge value={c.status} />
                    {c.expiresAt ? <span className="muted"> until {formatTime(c.expiresAt)}</span> : null}
                  </td>
                  <td className="row">
                    {c.status === 'active' && c.kind === 'password' && (
                      <button type="button" className="secondary" onClick={() => void rotate(c.id)}>
                        Rotate
                      </button>
                    )}
                    {c.status !== 'revoked' && (
                      <ConfirmButton
                        label="Revoke"
                        confirm="Revoke? A device connected with it is disconnected."
                        onConfirm={() => void revoke(c.id)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <button type="button" onClick={() => void create()}>
            New password credential
          </button>
        </p>
      </section>
      <section className="panel" aria-labelledby="danger-h">
        <h2 id="danger-h">Delete</h2>
        <p className="muted">Deletes the device and its credentials; its telemetry and history stay.</p>
        <ConfirmButton label="Delete device" confirm={`Delete ${id}?`} onConfirm={() => void remove()} />
      </section>
    </>
  );
}

/** `/devices/new`: the form, then the device page with its one-time secret. */
export function NewDevicePage({ isAdmin }: { isAdmin: boolean }): JSX.Element {
  const [secret, setSecret] = useState<{ id: string; secret: string }>();
  const [error, setError] = useState<string>();
  return (
    <>
      <h1>New device</h1>
      {secret && (
        <SecretDialog
          title={`Device ${secret.id} created — its password`}
          secret={secret.secret}
          note={`Put it on the device: MQTT client id and username ${secret.id}.`}
          onClose={() => navigate(`/devices/${encodeURIComponent(secret.id)}`)}
        />
      )}
      <ErrorText error={error} />
      <DeviceForm
        isAdmin={isAdmin}
        onCancel={() => navigate('/devices')}
        onSaved={(d, credential) => {
          if (!credential) return navigate(`/devices/${encodeURIComponent(d.id)}`);
          call('/devices/:id/credentials', 'post', { params: { id: d.id }, body: { kind: 'password' } }).then(
            (r) => (r.secret ? setSecret({ id: d.id, secret: r.secret }) : navigate(`/devices/${d.id}`)),
            (e: unknown) => setError(`Device created, but its credential was not: ${formError(e).message}`),
          );
        }}
      />
    </>
  );
}
