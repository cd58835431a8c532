/**
 * fauxqs, an in-process SQS emulator with FIFO semantics (message groups, deduplication ids,
 * visibility timeouts, redrive to a dead-letter queue). ESM-only; needs Node 22.5+.
 */
import { startFauxqs } from 'fauxqs';

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
  const server = await startFauxqs({ port: options.port ?? 0, logger: false });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    port: server.port,
    stop: () => server.stop(),
  };
}
