import { percent } from '../format/time.ts';

/** A progress bar with an accessible name and value (aria-valuenow 0..100). */
export function ProgressBar(props: {
  value: number;
  label: string;
  testId: string;
  state?: string;
}) {
  const pct = percent(props.value);
  return (
    <div
      className={`progress progress-${props.state ?? 'running'}`}
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      data-testid={props.testId}
    >
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
