/**
 * An HTTP proxy in front of an emulator that holds the next requests for a while before passing
 * them on: a slow dependency, so that the SDK's own request timeout (not a simulation of it) fires.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy. */
export interface SlowProxy {
  readonly endpoint: string;
  /** Holds each of the next `count` requests for `delayMs` before forwarding it. */
  slowNext(count: number, delayMs: number): void;
  stop(): Promise<void>;
}

/** Starts a proxy to `target` (or the endpoint it returns when called) on a free port. */
export async function startSlowProxy(target: string | (() => string)): Promise<SlowProxy> {
  const targetUrl = typeof target === 'string' ? () => target : target;
  let slow = 0;
  let delay = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      if (slow > 0) {
        slow -= 1;
        await new Promise((wake) => setTimeout(wake, delay));
      }
      // The client gave up (its own timeout) while the request was held.
      if (response.destroyed || response.socket?.destroyed) return;
      try {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (typeof value === 'string' && name !== 'host' && name !== 'content-length')
            headers[name] = value;
        }
        const upstream = await fetch(`${targetUrl()}${request.url ?? '/'}`, {
          method: request.method ?? 'POST',
          headers,
          body: chunks.length ? Buffer.concat(chunks) : null,
        });
        const body = Buffer.from(await upstream.arrayBuffer());
        response.writeHead(upstream.status, {
          'content-type': upstream.headers.get('content-type') ?? 'application/json',
        });
        response.end(body);
      } catch {
        if (!response.headersSent) response.writeHead(502);
        response.end();
      }
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    slowNext: (count, delayMs) => {
      slow = count;
      delay = delayMs;
    },
    stop: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
