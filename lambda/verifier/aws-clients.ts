/**
 * The verifier's SDK clients, with explicit timeouts and bounded retries so that a failing or
 * slow dependency is answered with a 5xx well inside the sender's 10-second budget.
 *
 * One failed call costs at most `maxAttempts × (connectionTimeout + requestTimeout)` plus the
 * SDK's backoff: about 2.7 s with the defaults. The worst single-dependency outage (SQS down:
 * the ledger claim, the failed send, the release of the claim) answers in about 3 s.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Timeouts and retries of every verifier client. */
export interface ClientLimits {
  /** Time to open a connection. @default 300 */
  readonly connectionTimeoutMs?: number;
  /** Time for a response once connected. @default 1000 */
  readonly requestTimeoutMs?: number;
  /** Attempts per call, the first included. @default 2 */
  readonly maxAttempts?: number;
}

/** The defaults of {@link ClientLimits}. */
export const DEFAULT_CLIENT_LIMITS: Required<ClientLimits> = {
  connectionTimeoutMs: 300,
  requestTimeoutMs: 1000,
  maxAttempts: 2,
};

/** The shared part of every client's configuration. Endpoints come from the SDK's own variables. */
export function clientConfig(limits: ClientLimits = {}) {
  const { connectionTimeoutMs, requestTimeoutMs, maxAttempts } = { ...DEFAULT_CLIENT_LIMITS, ...limits };
  return {
    maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Without this flag the handler only logs a warning when requestTimeout passes and keeps
      // waiting, so a dependency that accepts the connection and never answers would hold the
      // invocation until middy's early timeout.
      throwOnRequestTimeout: true,
    }),
  };
}

/** The three clients the verifier uses. */
export interface VerifierClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly secretsManager: SecretsManagerClient;
}

/**
 * Creates the verifier's clients; call once, at module scope.
 *
 * @example
 * const clients = createVerifierClients();
 */
export function createVerifierClients(limits: ClientLimits = {}): VerifierClients {
  return {
    dynamodb: new DynamoDBClient(clientConfig(limits)),
    sqs: new SQSClient(clientConfig(limits)),
    secretsManager: new SecretsManagerClient(clientConfig(limits)),
  };
}
