/**
 * A scheduled batch's name: the template's and the tick's wall-clock time in the
 * schedule's time zone, "nightly 2026-11-24 15:00" (seconds shown when not zero).
 */
export function tickBatchName(template: string, tickMs: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(tickMs))
      .map((p) => [p.type, p.value]),
  );
  const seconds = parts.second === '00' ? '' : `:${parts.second}`;
  return `${template} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds}`;
}
