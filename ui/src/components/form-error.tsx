import { ApiError } from '../api/index.ts';

/** What an error says, for a person: its message. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** A refusal next to its form: the server's code and message. */
export function FormError({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const message = errorMessage(error);
  return (
    <p className="form-error" role="alert" data-testid="form-error">
      {error instanceof ApiError ? <code>{error.code}</code> : null} {message}
    </p>
  );
}
