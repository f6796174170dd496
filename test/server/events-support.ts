/**
 * A server with only the event stream on it, for the stream's own tests (the whole app
 * is tested in http-*.test.ts): real HTTP on 127.0.0.1, a port of its own.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Kiln } from '../../src/index.ts';
import type { ServerDeps } from '../../src/server/deps.ts';
import { errorResponse } from '../../src/server/errors.ts';
import { type EventsOptions, registerEvents } from '../../src/server/events/routes.ts';

export async function eventsServer(
  kiln: Kiln,
  options: EventsOptions = {},
): Promise<{ url: string; hub: ReturnType<typeof registerEvents>['hub']; close(): Promise<void> }> {
  const deps: ServerDeps = {
    kiln,
    token: undefined,
    bodyLimitBytes: 1 << 20,
    log: () => {},
    worker: undefined,
  };
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json(
          { error: { code: 'INVALID_ARGUMENT', message: result.error.issues[0]?.message ?? '' } },
          400,
        );
      }
    },
  });
  app.onError((error, c) => errorResponse(c, error));
  const events = registerEvents(app, deps, options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hub: events.hub,
    close: async () => {
      events.close();
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
