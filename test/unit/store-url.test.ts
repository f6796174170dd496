/** Store URLs: which store they open, and Kiln's own parameters of a PostgreSQL URL. */
import { describe, expect, test } from 'vitest';
import { parsePostgresUrl } from '../../src/store/open.ts';
import { codeOf } from '../support/helpers.ts';

describe('parsePostgresUrl', () => {
  test('takes the schema (default kiln) and the pool size off the URL, and leaves the rest to the driver', () => {
    expect(parsePostgresUrl('postgres://u@h:5432/db')).toEqual({
      url: 'postgres://u@h:5432/db',
      schema: 'kiln',
    });
    expect(
      parsePostgresUrl('postgresql://u:p@h/db?schema=jobs_1&application_name=api&pool=3'),
    ).toEqual({ url: 'postgresql://u:p@h/db?application_name=api', schema: 'jobs_1', poolSize: 3 });
  });

  test('refuses schemas that are not plain identifiers, and pool sizes out of range', () => {
    for (const bad of ['a-b', '1abc', 'x;drop', `s${'x'.repeat(41)}`, '']) {
      expect(
        codeOf(() => parsePostgresUrl(`postgres://h/db?schema=${encodeURIComponent(bad)}`)),
      ).toBe('INVALID_STORE_URL');
    }
    for (const bad of ['0', '101', '2.5', 'many']) {
      expect(codeOf(() => parsePostgresUrl(`postgres://h/db?pool=${bad}`))).toBe(
        'INVALID_STORE_URL',
      );
    }
    expect(codeOf(() => parsePostgresUrl('postgres://h:port/db'))).toBe('INVALID_STORE_URL');
  });
});
