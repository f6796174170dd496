import { age } from '../format/time.ts';
import { useNow } from '../live/hooks.ts';

/** "3 s ago", ticking every second. */
export function HeartbeatAge(props: { at: string | null }) {
  const now = useNow(1000);
  return (
    <span data-testid="job-heartbeat-age" title={props.at ?? 'no heartbeat'}>
      {age(props.at, now)}
    </span>
  );
}
