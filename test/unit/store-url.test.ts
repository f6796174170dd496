/** Store URLs: which store they open, and Kiln's own parameters of a PostgreSQL URL. */
import { describe, expect, test } from 'vitest';
import { KilnError } from '../../src/core/errors.ts';
import { openStore, parsePostgresUrl, redactStoreUrl } from '../../src/store/open.ts';
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

describe('redactStoreUrl', () => {
  test('masks a password in the user-info and in password= or sslpassword= parameters', () => {
    expect(redactStoreUrl('postgres://u:s3cret@h:5432/db?schema=a')).toBe(
      'postgres://u:***@h:5432/db?schema=a',
    );
    expect(redactStoreUrl('postgres://u@h/db?password=s3cret&schema=a')).toBe(
      'postgres://u@h/db?password=***&schema=a',
    );
    expect(redactStoreUrl('postgresql://h/db?sslpassword=s3cret')).toBe(
      'postgresql://h/db?sslpassword=***',
    );
    // Nothing to mask: the URL as given, not as URL would rewrite it.
    expect(redactStoreUrl('postgres://u@h/db?application_name=a%20b')).toBe(
      'postgres://u@h/db?application_name=a%20b',
    );
    expect(redactStoreUrl('sqlite:./data/kiln.db')).toBe('sqlite:./data/kiln.db');
  });

  test('masks them in a URL that does not parse, and in the errors that echo it', () => {
    const bad = 'postgres://u:s3cret@h:port/db?password=s3cret';
    expect(redactStoreUrl(bad)).toBe('postgres://u:***@h:port/db?password=***');
    const messageOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(KilnError);
        return (error as Error).message;
      }
      throw new Error('did not throw');
    };
    for (const url of [bad, 'postgress://u:s3cret@h/db']) {
      const message = messageOf(() => openStore(url));
      expect(message).not.toContain('s3cret');
      expect(message).toContain('u:***@h');
    }
  });
});
