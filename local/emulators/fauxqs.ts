/**
 * fauxqs, an in-process SQS emulator with FIFO semantics (message groups, deduplication ids,
 * visibility timeouts, redrive to a dead-letter queue). ESM-only; needs Node 22.5+.
 */
import type { AddressInfo } from 'node:net';
import { buildApp } from 'fauxqs';

/** A running fauxqs server. */
export interface SqsEmulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs on 127.0.0.1 (a free port by default).
 *
 * @example
 * const sqs = await startSqsEmulator();
 * const client = new SQSClient({ endpoint: sqs.endpoint });
 */
export async function startSqsEmulator(options: { port?: number } = {}): Promise<SqsEmulator> {
  // fauxqs's own `startFauxqs` listens on every interface (0.0.0.0, hard-coded): anyone on the
  // network could read the queued bodies or enqueue unsigned events. Its app, listened on here,
  // serves the same API on loopback only.
  const app = buildApp({ logger: false });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => app.close(),
  };
}
