import { defineConfig } from 'vitest/config';

/**
 * Three projects: every test on the embedded SQLite store; the store-contract suite
 * (the library's behaviour and the guarantees) again on PostgreSQL, each test in a
 * schema of its own (test/support/stores.ts); and the dashboard's browser tests
 * (test/e2e, real Chromium against `kiln serve` on SQLite), after building the UI if
 * dist/ui is missing or older than ui/.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn worker processes; two cores are shared between files.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/postgres/**', 'test/e2e/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [
            'test/integration/library-*.test.ts',
            'test/integration/webhooks-*.test.ts',
            'test/integration/schedules-*.test.ts',
            'test/guarantees/**/*.test.ts',
            'test/postgres/**/*.test.ts',
            // The HTTP API, every route and every refusal, on PostgreSQL too.
            'test/server/http-*.test.ts',
            'test/server/events-*.test.ts',
            // The batch export and /metrics read the store (artifacts in bytea, job counts).
            'test/server/export-zip.test.ts',
            'test/server/metrics-*.test.ts',
            // Secrets kept out of a real kiln serve's output, the store password redacted.
            'test/server/security-*.test.ts',
            // The short chaos run, on PostgreSQL too (with backend terminations), and the
            // short fuzz run against a server on PostgreSQL.
            'test/reliability/chaos*.test.ts',
            'test/reliability/fuzz*.test.ts',
          ],
          env: { KILN_TEST_STORE: 'postgres' },
          globalSetup: ['test/support/postgres-setup.ts'],
          setupFiles: ['test/support/postgres-each.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // A browser and a server per file on two shared cores: every wait inside is
          // bounded; this bounds their sum (a restart and a run to completion).
          testTimeout: 120_000,
          globalSetup: ['test/e2e/support/global-setup.ts'],
        },
      },
    ],
  },
});
