/**
 * Sign-in: e-mail and password (local users), and "Sign in with SSO" when the server has OpenID
 * Connect configured (GET /auth/options says so). The session is an HttpOnly cookie; the CSRF
 * token from the answer is kept in memory by api.ts.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, call, setCsrfToken } from '../api';
import type { Me, SignInOptions } from '../api-types';

export function SignInPage({
  onSignedIn,
  notice,
}: {
  onSignedIn: (m: Me) => void;
  /** Why the user is here (e.g. the session expired, or the provider refused the sign-in). */
  notice?: string | undefined;
}): JSX.Element {
  const [options, setOptions] = useState<SignInOptions>();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    call('/auth/options', 'get').then(setOptions, () => setOptions({ local: true, oidc: false }));
  }, []);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      const s = await call('/auth/login', 'post', { body: { email: email.trim(), password } });
      setCsrfToken(s.csrfToken);
      onSignedIn(s.principal);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'Wrong e-mail or password.'
          : err instanceof ApiError && err.status === 429
            ? 'Too many attempts; wait a minute and try again.'
            : err instanceof ApiError
              ? err.message
              : String(err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form className="panel" onSubmit={(e) => void submit(e)}>
        <h1>Tsunagu console</h1>
        {notice && (
          <p role="status" className="muted">
            {notice}
          </p>
        )}
        {options?.oidc && options.oidcLoginUrl && (
          <>
            <p>
              <a className="button" href={options.oidcLoginUrl}>
                Sign in with SSO
              </a>
            </p>
            <p className="muted">or with a local account:</p>
          </>
        )}
        <label>
          E-mail
          <input
            name="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <p>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </p>
      </form>
    </main>
  );
}
