import { describe, expect, test } from 'vitest';
import { assertArtifactName, isSafeArtifactName } from '../../src/core/artifact-name.ts';
import { KilnError } from '../../src/core/errors.ts';

describe('artifact names', () => {
  test.each(['report.md', 'slide-01.png', 'a', 'A_b.c-d', 'x'.repeat(128)])('%j is safe', (n) => {
    expect(isSafeArtifactName(n)).toBe(true);
    expect(() => assertArtifactName(n)).not.toThrow();
  });

  test.each([
    '../x',
    '..',
    'a..b',
    '.hidden',
    'a/b',
    'a\\b',
    '',
    'x'.repeat(129),
    '-dash',
    'sp ace',
    'nul\0',
    42,
    null,
  ])('%j is refused with INVALID_ARTIFACT_NAME', (n) => {
    expect(isSafeArtifactName(n)).toBe(false);
    try {
      assertArtifactName(n);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KilnError);
      expect((error as KilnError).code).toBe('INVALID_ARTIFACT_NAME');
    }
  });
});
