/**
 * The archive's SDK clients (lambda/processor/archive-writers.ts) against a dependency that
 * accepts connections and never answers: the writers the processor builds give up after two
 * attempts with a timeout, so an unreachable archive hands the batch back instead of holding the
 * invocation until the Lambda timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { archiveWriterFor, FirehoseArchiveWriter } from '../../lambda/processor/archive-writers.ts';
import type { ArchivedEvent } from '../../lambda/shared/queue-message.ts';

const event: ArchivedEvent = {
  eventKey: 'key-1',
  eventType: 'connection.updated',
  connectionId: 'conn_a',
  receivedAt: '2026-01-05T13:45:00.000Z',
  signatureScheme: 'ofauth',
  body: '{"type":"connection.updated"}',
};

describe('the archive clients facing a silent dependency', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  /** The first line of every request the silent dependency received. */
  const requests: string[] = [];
  let endpoint: string;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (data) => {
        const line = data.toString('latin1').split('\r\n')[0] ?? '';
        if (/^[A-Z]+ \S+ HTTP\/1\.1$/.test(line)) requests.push(line);
      });
      socket.on('close', () => sockets.delete(socket));
    });
    // Both address families, so that `localhost` reaches it whichever one it resolves to first.
    await new Promise<void>((listening) => server.listen(0, listening));
    const address = server.address();
    endpoint = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
  });

  beforeEach(() => {
    requests.length = 0;
  });

  afterEach(() => {
    process.env = { ...savedEnv };
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((closed) => server.close(() => closed()));
  });

  it('fails a Firehose write after two attempts with a timeout, instead of hanging', async () => {
    // GIVEN the deployed Firehose writer, its client of its own pointed at the silent dependency
    process.env.AWS_ENDPOINT_URL_FIREHOSE = endpoint;
    const writer = new FirehoseArchiveWriter({
      deliveryStreamName: 'archive',
      oversize: { write: async () => [] },
    });
    // WHEN an event is written
    const failures = await writer.write([event]);
    // THEN the event failed with a timeout (so its record is handed back), after two requests
    expect(failures).toEqual([{ index: 0, reason: 'TimeoutError' }]);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatch(/^POST \/ HTTP\/1\.1$/);
  }, 30_000);

  it('fails a direct S3 write after two attempts with a timeout, on a path-style URL when asked', async () => {
    // GIVEN the local configuration: a bucket, path-style URLs, S3 at the silent dependency
    process.env.AWS_ENDPOINT_URL_S3 = endpoint;
    const writer = archiveWriterFor({
      archiveBucketName: 'archive-bucket',
      archiveS3ForcePathStyle: true,
      processedEventTtlSeconds: 60,
    });
    // WHEN an event is written
    const outcome = await writer!.write([event]).then(
      () => 'written',
      (error: Error) => error.name,
    );
    // THEN the write failed with a timeout after two requests, each naming the bucket in its path
    expect(outcome).toBe('TimeoutError');
    expect(requests).toHaveLength(2);
    for (const request of requests) expect(request).toMatch(/^PUT \/archive-bucket\/events\/\S+ HTTP\/1\.1$/);
  }, 30_000);
});
