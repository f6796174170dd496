import { describe, expect, test } from 'vitest';
import {
  canTransition,
  isTerminal,
  JOB_STATES,
  type JobState,
  sqlStateList,
  stateAfter,
  statesFrom,
  TERMINAL_STATES,
  TRANSITIONS,
  type TransitionEvent,
} from '../../src/core/lifecycle.ts';

/** The lifecycle table of the design, row by row: (from, to), null for "(new)" and "(deleted)". */
const DESIGN_ROWS: [JobState | null, JobState | null][] = [
  [null, 'pending'],
  ['pending', 'running'],
  ['running', 'completed'],
  ['running', 'pending'],
  ['running', 'failed'],
  ['pending', 'cancelled'],
  ['running', 'cancelled'],
  ['completed', null],
  ['failed', null],
  ['cancelled', null],
  ['failed', 'pending'],
  ['cancelled', 'pending'],
];

const EVENTS: TransitionEvent[] = [
  'enqueue',
  'claim',
  'complete',
  'reschedule',
  'fail',
  'cancel',
  'retry',
  'expire',
];

const key = (from: JobState | null, to: JobState | null) =>
  `${from ?? '(new)'} -> ${to ?? '(deleted)'}`;

describe('the transition table', () => {
  test('holds exactly the rows of the design table, each once', () => {
    const actual = TRANSITIONS.map((t) => key(t.from, t.to)).sort();
    const expected = DESIGN_ROWS.map(([from, to]) => key(from, to)).sort();
    expect(actual).toEqual(expected);
  });

  test('every row has an event and a description', () => {
    for (const t of TRANSITIONS) {
      expect(EVENTS).toContain(t.event);
      expect(t.when.length).toBeGreaterThan(5);
    }
  });

  test('an event always leads to the same state', () => {
    for (const event of EVENTS) {
      const targets = new Set(TRANSITIONS.filter((t) => t.event === event).map((t) => t.to));
      expect(targets.size, event).toBe(1);
    }
  });
});

describe('statesFrom', () => {
  test.each([
    ['enqueue', []],
    ['claim', ['pending']],
    ['complete', ['running']],
    ['reschedule', ['running']],
    ['fail', ['running']],
    ['cancel', ['pending', 'running']],
    ['retry', ['failed', 'cancelled']],
    ['expire', ['completed', 'failed', 'cancelled']],
  ] as [TransitionEvent, JobState[]][])('%s starts from %j', (event, states) => {
    expect([...statesFrom(event)].sort()).toEqual([...states].sort());
  });

  test('sqlStateList quotes the same states for SQL', () => {
    expect(sqlStateList('cancel')).toBe(`'pending', 'running'`);
    expect(sqlStateList('expire')).toBe(`'completed', 'failed', 'cancelled'`);
  });
});

describe('stateAfter', () => {
  test.each([
    ['enqueue', 'pending'],
    ['claim', 'running'],
    ['complete', 'completed'],
    ['reschedule', 'pending'],
    ['fail', 'failed'],
    ['cancel', 'cancelled'],
    ['retry', 'pending'],
    ['expire', null],
  ] as [TransitionEvent, JobState | null][])('%s leads to %s', (event, state) => {
    expect(stateAfter(event)).toBe(state);
  });

  test('an unknown event throws', () => {
    expect(() => stateAfter('explode' as TransitionEvent)).toThrow(/no transition/);
  });
});

describe('canTransition', () => {
  test('allows the table and nothing else', () => {
    for (const from of [null, ...JOB_STATES]) {
      for (const event of EVENTS) {
        const inTable = TRANSITIONS.some((t) => t.from === from && t.event === event);
        expect(canTransition(from, event), `${from} ${event}`).toBe(inTable);
      }
    }
    expect(canTransition(null, 'enqueue')).toBe(true);
    expect(canTransition('pending', 'claim')).toBe(true);
    expect(canTransition('pending', 'complete')).toBe(false);
    expect(canTransition('running', 'claim')).toBe(false);
    expect(canTransition('completed', 'retry')).toBe(false);
  });

  test('terminal states are left only by retry or expire', () => {
    for (const state of TERMINAL_STATES) {
      for (const event of EVENTS) {
        const allowed = canTransition(state, event);
        if (event === 'expire') expect(allowed, `${state} ${event}`).toBe(true);
        else if (event !== 'retry') expect(allowed, `${state} ${event}`).toBe(false);
      }
    }
    // Retrying a completed job is not a thing: it would run the work twice.
    expect(canTransition('completed', 'retry')).toBe(false);
    expect(canTransition('failed', 'retry')).toBe(true);
    expect(canTransition('cancelled', 'retry')).toBe(true);
  });
});

describe('isTerminal', () => {
  test.each([
    ['pending', false],
    ['running', false],
    ['completed', true],
    ['failed', true],
    ['cancelled', true],
  ] as [JobState, boolean][])('%s: %s', (state, terminal) => {
    expect(isTerminal(state)).toBe(terminal);
  });
});
