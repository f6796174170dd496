/**
 * Server-sent event frames, byte for byte (https://html.spec.whatwg.org/#server-sent-events).
 * Data is one line of JSON: JSON.stringify never emits a raw line break.
 */

/** One event: `id:` only when given (see stream.ts for which events carry one). */
export function frame(event: string, dataJson: string, id?: number): string {
  return id === undefined
    ? `event: ${event}\ndata: ${dataJson}\n\n`
    : `id: ${id}\nevent: ${event}\ndata: ${dataJson}\n\n`;
}

/** A comment line: ignored by clients, keeps proxies and idle timers from closing. */
export const KEEP_ALIVE = ': keep-alive\n\n';

/** Sent first: how long a client waits before reconnecting, in ms. */
export function retryFrame(ms: number): string {
  return `retry: ${ms}\n\n`;
}
