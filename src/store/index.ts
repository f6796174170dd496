export * from './open.ts';
export type * from './store.ts';
