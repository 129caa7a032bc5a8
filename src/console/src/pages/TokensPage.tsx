/**
 * API tokens (admins): for machines and the CLI. The secret is returned once by the API and shown
 * once here, in a dialog with a copy button; the list never shows secrets.
 */
import { useState, type FormEvent } from 'react';
import { call } from '../api';
import { Badge, ErrorText } from '../components/bits';
import {
  ConfirmButton,
  Field,
  FormErrorText,
  SecretDialog,
  formError,
  type FormError,
} from '../components/forms';
import { formatTime } from '../format';
import { useLoad } from '../hooks';

type Role = 'viewer' | 'operator' | 'admin';
const EXPIRY: Record<string, number | undefined> = {
  never: undefined,
  '1 day': 86400,
  '30 days': 30 * 86400,
  '90 days': 90 * 86400,
  '1 year': 365 * 86400,
};

export function TokensPage(): JSX.Element {
  const tokens = useLoad(() => call('/tokens', 'get'), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [expiry, setExpiry] = useState('90 days');
  const [err, setErr] = useState<FormError>();
  const [listError, setListError] = useState<string>();
  const [secret, setSecret] = useState<{ name: string; secret: string }>();
  const create = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    try {
      const s = EXPIRY[expiry];
      const r = await call('/tokens', 'post', {
        body: { name: name.trim(), role, ...(s !== undefined ? { expiresInSeconds: s } : {}) },
      });
      setSecret({ name: r.token.name, secret: r.secret });
      setName('');
      setErr(undefined);
      tokens.reload();
    } catch (x) {
      setErr(formError(x));
    }
  };
  const revoke = async (id: string): Promise<void> => {
    try {
      await call('/tokens/:id', 'delete', { params: { id } });
      setListError(undefined);
      tokens.reload();
    } catch (x) {
      setListError(formError(x).message);
    }
  };
  const items = tokens.data?.items ?? [];
  return (
    <>
      <h1>API tokens</h1>
      <p className="muted">
        Tokens let scripts, the CLI (<code>tsunagu … --token</code>) and other machines call the API with a
        role. People sign in with their own account instead.
      </p>
      {secret && (
        <SecretDialog
          title={`Token ${secret.name} created`}
          secret={secret.secret}
          note="Use it as a bearer token (Authorization: Bearer …)."
          onClose={() => setSecret(undefined)}
        />
      )}
      <form className="panel" aria-labelledby="tok-new-h" onSubmit={(e) => void create(e)}>
        <h2 id="tok-new-h">New token</h2>
        <div className="filters">
          <Field
            label="Name"
            name="name"
            err={err}
            value={name}
            required
            placeholder="ci-deploy"
            onChange={(e) => setName(e.target.value)}
          />
          <Field label="Role" name="role" err={err}>
            <select id="f-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="viewer">viewer</option>
              <option value="operator">operator</option>
              <option value="admin">admin</option>
            </select>
          </Field>
          <Field label="Expires" name="expiresInSeconds" err={err}>
            <select id="f-expiresInSeconds" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              {Object.keys(EXPIRY).map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </Field>
          <button type="submit" disabled={!name.trim()}>
            Create token
          </button>
        </div>
        <FormErrorText err={err} fields={['name', 'role', 'expiresInSeconds']} />
      </form>
      <section className="panel" aria-labelledby="tok-h">
        <h2 id="tok-h">Tokens</h2>
        <ErrorText error={tokens.error ?? listError} />
        {tokens.loading && !tokens.data && <p className="muted">Loading…</p>}
        {tokens.data && items.length === 0 && <p className="muted">No tokens yet.</p>}
        {items.length > 0 && (
          <table data-testid="tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Status</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id}>
                  <td>
                    {t.name}
                    {t.userId ? <span className="muted"> · personal</span> : null}
                  </td>
                  <td>{t.customer ? `customer ${t.customer}` : t.role}</td>
                  <td>{t.createdAt ? formatTime(t.createdAt) : '—'}</td>
                  <td>{t.expiresAt ? formatTime(t.expiresAt) : 'never'}</td>
                  <td>
                    {t.revokedAt ? (
                      <Badge value="revoked" />
                    ) : t.expiresAt && t.expiresAt < Date.now() ? (
                      <Badge value="expired" />
                    ) : (
                      <Badge value="active" />
                    )}
                  </td>
                  <td>
                    {!t.revokedAt && (
                      <ConfirmButton
                        label="Revoke"
                        confirm={`Revoke ${t.name}? Programs using it stop working at once.`}
                        onConfirm={() => void revoke(t.id)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
