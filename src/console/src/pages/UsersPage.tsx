/**
 * Users and customers (admins): who can sign in, with which role or customer, and disabling them;
 * customers and the devices they own (by id, model or tag). Everything goes through /api/v1/users
 * and /api/v1/customers, which only admins may call.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, call } from '../api';
import { ErrorText } from '../components/bits';
import { formatAgo } from '../format';
import { useLoad } from '../hooks';

const ROLES = ['viewer', 'operator', 'admin'] as const;
const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const message = (e: unknown): string => (e instanceof ApiError ? `${e.message} (${e.code})` : String(e));

export function UsersPage({ myId }: { myId: string }): JSX.Element {
  const users = useLoad(() => call('/users', 'get'), []);
  const customers = useLoad(() => call('/customers', 'get'), []);
  const [error, setError] = useState<string>();
  const change = async (id: string, body: { role?: (typeof ROLES)[number]; disabled?: boolean }) => {
    try {
      await call('/users/:id', 'patch', { params: { id }, body });
      setError(undefined);
      users.reload();
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <>
      <h1>Users and customers</h1>
      <section className="panel" aria-labelledby="users-h">
        <h2 id="users-h">Users</h2>
        <ErrorText error={users.error ?? error} />
        <table data-testid="users">
          <thead>
            <tr>
              <th>E-mail</th>
              <th>Sign-in</th>
              <th>Role</th>
              <th>Customer</th>
              <th>Last sign-in</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {(users.data?.items ?? []).map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.source === 'oidc' ? 'SSO' : 'password'}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    disabled={u.id === myId}
                    onChange={(e) => void change(u.id, { role: e.target.value as (typeof ROLES)[number] })}
                  >
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>{u.customer ?? '—'}</td>
                <td>{u.lastLoginAt ? formatAgo(u.lastLoginAt) : 'never'}</td>
                <td>
                  {u.disabled ? 'disabled ' : ''}
                  {u.id !== myId && (
                    <button
                      className="secondary"
                      onClick={() => void change(u.id, { disabled: !u.disabled })}
                    >
                      {u.disabled ? `Enable ${u.email}` : `Disable ${u.email}`}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel" aria-labelledby="customers-h">
        <h2 id="customers-h">Customers</h2>
        <ErrorText error={customers.error} />
        <table data-testid="customers">
          <thead>
            <tr>
              <th>Id</th>
              <th>Name</th>
              <th>Devices</th>
              <th>Models</th>
              <th>Tags</th>
            </tr>
          </thead>
          <tbody>
            {(customers.data?.items ?? []).map((c) => (
              <tr key={c.id}>
                <td>{c.id}</td>
                <td>{c.name}</td>
                <td>{c.devices.join(', ') || '—'}</td>
                <td>{c.models.join(', ') || '—'}</td>
                <td>{c.tags.join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <CustomerForm onSaved={customers.reload} />
      </section>
    </>
  );
}

/** Create a customer or change which devices it owns (PUT replaces the lists given). */
function CustomerForm({ onSaved }: { onSaved: () => void }): JSX.Element {
  const [f, setF] = useState({ id: '', name: '', devices: '', models: '', tags: '' });
  const [error, setError] = useState<string>();
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) =>
    setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    try {
      await call('/customers/:id', 'put', {
        params: { id: f.id.trim() },
        body: {
          ...(f.name.trim() ? { name: f.name.trim() } : {}),
          devices: list(f.devices),
          models: list(f.models),
          tags: list(f.tags),
        },
      });
      setError(undefined);
      onSaved();
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="filters" aria-label="Customer and its devices">
      <label>
        Customer id
        <input value={f.id} onChange={set('id')} required />
      </label>
      <label>
        Name
        <input value={f.name} onChange={set('name')} />
      </label>
      <label>
        Device ids (comma-separated)
        <input value={f.devices} onChange={set('devices')} />
      </label>
      <label>
        Models
        <input value={f.models} onChange={set('models')} />
      </label>
      <label>
        Tags
        <input value={f.tags} onChange={set('tags')} />
      </label>
      <button type="submit">Save customer</button>
      <ErrorText error={error} />
    </form>
  );
}
