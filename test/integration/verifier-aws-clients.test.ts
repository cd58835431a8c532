import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { clientConfig } from '../../lambda/verifier/aws-clients.ts';

describe('verifier SDK clients', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let endpoint: string;

  beforeAll(async () => {
    // A dependency that accepts connections and never answers: the worst kind of outage.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((closed) => server.close(() => closed()));
  });

  it('fails a call to a dependency that never answers once the request timeout has passed', async () => {
    // GIVEN a client with the verifier's configuration and short limits
    const client = new DynamoDBClient({
      ...clientConfig({ connectionTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 }),
      endpoint,
      region: 'us-east-1',
    });
    // WHEN it calls the silent dependency
    const started = Date.now();
    const outcome = await client.send(new ListTablesCommand({})).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    // THEN the call fails with a timeout after both attempts, instead of hanging
    expect(outcome).toMatch(/TimeoutError/);
    expect(Date.now() - started).toBeLessThan(3000);
    client.destroy();
  }, 10_000);
});
