/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: records every request (headers and
 * raw body) and answers as the test says: a status, or 'hold' to keep the request open
 * (the sender is then killed mid-delivery).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  atMs: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers request number `n` (0-based): a status, or 'hold' to never answer. */
  answer: (n: number) => number | 'hold';
  close(): Promise<void>;
}

export async function startReceiver(
  answer: (n: number) => number | 'hold' = () => 200,
): Promise<Receiver> {
  const held: ServerResponse[] = [];
  const receiver: Receiver = {
    url: '',
    received: [],
    answer,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = receiver.received.length;
      receiver.received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        atMs: Date.now(),
      });
      const status = receiver.answer(n);
      if (status === 'hold') {
        held.push(res);
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/kiln`;
  return receiver;
}
