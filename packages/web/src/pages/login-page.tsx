/**
 * The login page: the user pastes an API token, which is checked with the daemon (whoami)
 * before it is kept. A refused token, or a session that ended (the token expired or was
 * revoked), is said in `login-error`. After signing in the app returns to where the user was.
 */
import { HerdError } from '@herd/api';
import { useState } from 'preact/hooks';
import { errorMessage } from '../lib/errors.js';
import { signIn } from '../lib/session.js';

/** What a failed sign-in says: a refused token in plain words, anything else as the API put it. */
function loginError(e: unknown): string {
  if (e instanceof HerdError && e.code === 'unauthenticated') {
    const reason = typeof e.details.reason === 'string' ? e.details.reason : 'the token is not valid';
    return `That token was not accepted: ${reason}. Check that it was pasted whole, or ask an administrator for a new one.`;
  }
  return `Cannot sign in: ${errorMessage(e)}`;
}

/** The login page; `reason` says why the user is here (their session ended, say). */
export function LoginPage({ reason }: { readonly reason?: string | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setError('Paste an API token first.');
    setBusy(true);
    setError(undefined);
    try {
      await signIn(t);
    } catch (err) {
      setError(loginError(err));
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <form class="card form login-card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="login-title">
        <h1 id="login-title">
          <span class="brand-mark" aria-hidden="true">h</span> Sign in to herd
        </h1>
        <div class={`field${error ? ' has-error' : ''}`}>
          <label for="login-token">API token</label>
          <input
            id="login-token"
            type="password"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            autoComplete="off"
            spellcheck={false}
            autoFocus
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'login-token-hint login-error' : 'login-token-hint'}
          />
          <small class="hint" id="login-token-hint">
            A token from <code>herd user token create</code>. It is kept in this browser until you sign out.
          </small>
          {error && (
            <p class="field-error" id="login-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div class="form-actions">
          <button type="submit" class="primary" id="login-submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
