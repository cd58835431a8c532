/**
 * A minimal stand-in for Secrets Manager's `GetSecretValue`, the one call the verifier makes.
 * There is no maintained Secrets Manager emulator on npm, and the verifier should run the same
 * SDK code locally as in AWS: point `AWS_ENDPOINT_URL_SECRETS_MANAGER` at this server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running local Secrets Manager. */
export interface LocalSecretsManager {
  readonly endpoint: string;
  /** Sets (or replaces) a secret's string value. */
  setSecret(secretId: string, value: string): void;
  /** Makes the next `count` calls fail with a 500, to test how callers survive an outage. */
  failNext(count: number): void;
  /** How many `GetSecretValue` calls it has answered. */
  readonly calls: number;
  stop(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 (a free port by default).
 *
 * @example
 * const secrets = await startLocalSecretsManager({ 'ofauth/signing': 'whsec_…' });
 * process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
 */
export async function startLocalSecretsManager(
  initial: Record<string, string> = {},
  options: { port?: number } = {},
): Promise<LocalSecretsManager> {
  const secrets = new Map(Object.entries(initial));
  let failures = 0;
  let calls = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      const target = request.headers['x-amz-target'];
      if (target !== 'secretsmanager.GetSecretValue') {
        reply(400, { __type: 'InvalidRequestException', message: `unsupported operation ${String(target)}` });
        return;
      }
      calls += 1;
      if (failures > 0) {
        failures -= 1;
        reply(500, { __type: 'InternalServiceError', message: 'injected failure' });
        return;
      }
      let secretId = '';
      try {
        secretId = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).SecretId ?? '');
      } catch {
        reply(400, { __type: 'InvalidRequestException', message: 'request body is not JSON' });
        return;
      }
      const value = secrets.get(secretId);
      if (value === undefined) {
        reply(400, {
          __type: 'ResourceNotFoundException',
          message: `Secrets Manager can't find the specified secret: ${secretId}`,
        });
        return;
      }
      reply(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId}`,
        Name: secretId,
        SecretString: value,
        VersionId: 'local',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      });
    });
  });
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setSecret: (secretId, value) => {
      secrets.set(secretId, value);
    },
    failNext: (count) => {
      failures = count;
    },
    get calls() {
      return calls;
    },
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
