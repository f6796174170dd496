/** Setup file of the `postgres` test project: skips each test when PostgreSQL is away (postgres-setup.ts). */
import { beforeEach, inject } from 'vitest';

beforeEach((context) => {
  const problem = inject('postgresProblem');
  if (problem) context.skip(`PostgreSQL does not answer: ${problem}`);
});
