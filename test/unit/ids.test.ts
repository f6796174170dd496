import { describe, expect, test } from 'vitest';
import { isId, newId } from '../../src/core/ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  test('is a UUIDv7 with the RFC 9562 variant', () => {
    for (let i = 0; i < 1_000; i++) expect(newId()).toMatch(UUID_V7);
  });

  test('carries the creation time in its first 48 bits', () => {
    const now = Date.now() + 10_000_000; // ahead of any id made so far in this process
    const id = newId(now);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  test('strictly increases within a process, within one millisecond and across many', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${i}`).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('still increases when the clock goes backwards', () => {
    const a = newId(Date.now() + 20_000_000);
    const b = newId(Date.now());
    const c = newId(1);
    expect(b > a).toBe(true);
    expect(c > b).toBe(true);
    expect(c).toMatch(UUID_V7);
  });

  test('more than 4096 ids in one millisecond roll into the next', () => {
    const ms = Date.now() + 30_000_000;
    const ids = Array.from({ length: 10_000 }, () => newId(ms));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });
});

describe('isId', () => {
  test('accepts ids and refuses anything else', () => {
    expect(isId(newId())).toBe(true);
    expect(isId('../etc')).toBe(false);
    expect(isId('')).toBe(false);
    expect(isId(42)).toBe(false);
    expect(isId(newId().toUpperCase())).toBe(false);
  });
});
