import { useConnectionStatus } from '../live/hooks.ts';

export function ConnectionStatus() {
  const s = useConnectionStatus();
  const status = s === 'live' ? 'live' : 'reconnecting';
  const text =
    s === 'live'
      ? 'Live'
      : s === 'connecting'
        ? 'Connecting…'
        : s === 'unauthorized'
          ? 'Signed out'
          : 'Reconnecting…';
  return (
    <span
      className={`connection connection-${status}`}
      data-testid="connection-status"
      data-status={status}
      role="status"
    >
      <span aria-hidden="true" className="dot" /> {text}
    </span>
  );
}
