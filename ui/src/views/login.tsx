/** The token form, shown when the API answers 401: the token becomes a session cookie. */
import { useState } from 'react';
import { api } from '../api/index.ts';
import { FormError } from '../components/form-error.tsx';

export function LoginView({ onDone }: { onDone(): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  return (
    <div className="view login">
      <h1>Sign in</h1>
      <p>
        This Kiln server needs its token (the one given to <code>kiln serve --token</code> or{' '}
        <code>KILN_TOKEN</code>).
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            await api.login(token);
            onDone();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label htmlFor="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="current-password"
          data-testid="token-input"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          required
        />
        <button type="submit" className="primary" data-testid="token-submit">
          Sign in
        </button>
        <FormError error={error} />
      </form>
    </div>
  );
}
