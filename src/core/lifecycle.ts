/**
 * The job lifecycle, as data. Every store builds its guards from this table, so no
 * transition is written twice: a store asks `statesFrom('cancel')` for the states a
 * cancel may start from and puts exactly those in its `WHERE state IN (…)`.
 */
export const JOB_STATES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export type TransitionEvent =
  | 'enqueue'
  | 'claim'
  | 'complete'
  | 'reschedule'
  | 'fail'
  | 'cancel'
  | 'retry'
  | 'expire';

export interface Transition {
  readonly event: TransitionEvent;
  readonly from: JobState | null;
  readonly to: JobState | null;
  readonly when: string;
}

export const TRANSITIONS: readonly Transition[] = [
  { event: 'enqueue', from: null, to: 'pending', when: 'enqueued (run_at may be in the future)' },
  {
    event: 'claim',
    from: 'pending',
    to: 'running',
    when: 'a worker claims it; attempt += 1; lease taken',
  },
  {
    event: 'complete',
    from: 'running',
    to: 'completed',
    when: "the attempt's handler returned; result stored",
  },
  {
    event: 'reschedule',
    from: 'running',
    to: 'pending',
    when: 'the attempt failed, stalled or was released at shutdown, and attempts remain; run_at = now + backoff',
  },
  {
    event: 'fail',
    from: 'running',
    to: 'failed',
    when: 'the attempt failed or stalled and no attempts remain, or a non-retryable error',
  },
  { event: 'cancel', from: 'pending', to: 'cancelled', when: 'cancel requested' },
  {
    event: 'cancel',
    from: 'running',
    to: 'cancelled',
    when: 'cancel requested; the handler sees its AbortSignal fire',
  },
  {
    event: 'expire',
    from: 'completed',
    to: null,
    when: 'retention expired; logs and artifacts deleted too',
  },
  {
    event: 'expire',
    from: 'failed',
    to: null,
    when: 'retention expired; logs and artifacts deleted too',
  },
  {
    event: 'expire',
    from: 'cancelled',
    to: null,
    when: 'retention expired; logs and artifacts deleted too',
  },
  {
    event: 'retry',
    from: 'failed',
    to: 'pending',
    when: 'retried by a person or the API (a fresh attempt budget; attempt numbers keep counting)',
  },
  {
    event: 'retry',
    from: 'cancelled',
    to: 'pending',
    when: 'retried by a person or the API (a fresh attempt budget; attempt numbers keep counting)',
  },
];

/** The states an event may start from; stores use this for their guards. */
export function statesFrom(event: TransitionEvent): JobState[] {
  const states: JobState[] = [];
  for (const t of TRANSITIONS) if (t.event === event && t.from !== null) states.push(t.from);
  return states;
}

/** The state an event leads to (null: the job is deleted). */
export function stateAfter(event: TransitionEvent): JobState | null {
  const t = TRANSITIONS.find((x) => x.event === event);
  if (!t) throw new Error(`no transition for event ${event}`);
  return t.to;
}

export function canTransition(from: JobState | null, event: TransitionEvent): boolean {
  return TRANSITIONS.some((t) => t.event === event && t.from === from);
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** `'a', 'b'` for an SQL `IN (…)` list; the states are constants, never user input. */
export function sqlStateList(event: TransitionEvent): string {
  return statesFrom(event)
    .map((s) => `'${s}'`)
    .join(', ');
}
