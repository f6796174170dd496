import { ApiError } from '../api/index.ts';

/** A refusal next to its form: the server's code and message. */
export function FormError({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="form-error" role="alert" data-testid="form-error">
      {error instanceof ApiError ? <code>{error.code}</code> : null} {message}
    </p>
  );
}
