import { KilnError } from './errors.ts';

/**
 * Artifact names become file names, so only a conservative set is accepted: no path
 * separators, no leading dot, no "..", at most 128 characters.
 */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeArtifactName(name: unknown): name is string {
  return typeof name === 'string' && SAFE_NAME.test(name) && !name.includes('..');
}

export function assertArtifactName(name: unknown): asserts name is string {
  if (!isSafeArtifactName(name)) {
    throw new KilnError(
      'INVALID_ARTIFACT_NAME',
      `artifact name ${JSON.stringify(name)} is not allowed: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'`,
    );
  }
}
