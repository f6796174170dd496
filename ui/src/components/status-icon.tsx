const ICONS: Record<string, string> = {
  pending: '○',
  running: '◐',
  paused: '⏸',
  completed: '✓',
  failed: '✕',
  cancelled: '⊘',
};

/** A job's or batch's state as an icon, with the state as its accessible name. */
export function StatusIcon(props: { state: string }) {
  return (
    <span
      className={`status status-${props.state}`}
      role="img"
      aria-label={props.state}
      title={props.state}
      data-testid="job-status-icon"
    >
      {ICONS[props.state] ?? '?'}
    </span>
  );
}
