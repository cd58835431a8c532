/**
 * Builders for signed deliveries as API Gateway hands them to the verifier (HTTP API, payload
 * 2.0, built by `dev/api-gateway-event.ts`), and a Lambda context whose remaining time a test
 * controls.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { httpApiEvent } from '../../dev/api-gateway-event.ts';
import { signOfAuth, svixHeaders } from '../../testing/signers.ts';

/** A fixed `whsec_` secret for tests (32 bytes of 0x01…). */
export const TEST_SVIX_SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
/** A fixed plain OFAuth signing secret for tests. */
export const TEST_OFAUTH_SECRET = 'ofauth_test_signing_secret_0123456789';

/** The raw text of an example in examples/events/, byte for byte. */
export function fixtureBody(type: string): string {
  return readFileSync(new URL(`../../examples/events/${type}.json`, import.meta.url), 'utf8');
}

/** Options of {@link apiGatewayEvent}. */
export interface RequestOptions {
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** Send the body base64-encoded, as API Gateway does for binary content types. @default false */
  readonly base64?: boolean;
  /** @default 'POST' */
  readonly method?: string;
}

/**
 * The event API Gateway hands the verifier for a request to the webhook (`dev/api-gateway-event.ts`),
 * with a JSON content type unless `headers` name one.
 */
export function apiGatewayEvent(options: RequestOptions = {}): APIGatewayProxyEventV2 {
  const headers = Object.entries(options.headers ?? {});
  const typed = headers.some(([name]) => name.toLowerCase() === 'content-type');
  return httpApiEvent({
    ...(options.method !== undefined && { method: options.method }),
    headers: typed ? headers : [['content-type', 'application/json'], ...headers],
    ...(options.body !== undefined && { body: options.body }),
    isBase64Encoded: options.base64 ?? false,
  });
}

/** Options of the signed-delivery builders. */
export interface SignedOptions extends Omit<RequestOptions, 'headers'> {
  readonly body: string | Buffer;
  /** Unix seconds. @default now */
  readonly timestamp?: number;
  readonly secret?: string;
  /** Extra headers. */
  readonly headers?: Record<string, string>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A delivery signed with `OFAuth-Signature`. */
export function ofAuthDelivery(options: SignedOptions): APIGatewayProxyEventV2 {
  const signature = signOfAuth({
    secret: options.secret ?? TEST_OFAUTH_SECRET,
    body: Buffer.from(options.body),
    timestamp: options.timestamp ?? nowSeconds(),
  });
  return apiGatewayEvent({ ...options, headers: { 'OFAuth-Signature': signature, ...options.headers } });
}

/** A delivery signed the Svix way (`svix-*` headers, or `webhook-*` with `prefix: 'webhook'`). */
export function svixDelivery(
  options: SignedOptions & { readonly id: string; readonly prefix?: 'svix' | 'webhook' },
): APIGatewayProxyEventV2 {
  const headers = svixHeaders({
    secret: options.secret ?? TEST_SVIX_SECRET,
    id: options.id,
    body: Buffer.from(options.body),
    timestamp: options.timestamp ?? nowSeconds(),
    ...(options.prefix && { prefix: options.prefix }),
  });
  return apiGatewayEvent({ ...options, headers: { ...headers, ...options.headers } });
}

/** A Lambda context; `remainingMs` is the in-progress lease the ledger will take. */
export function lambdaContext(options: { readonly remainingMs?: number } = {}): Context {
  const deadline = Date.now() + (options.remainingMs ?? 8_000);
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'verifier-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:verifier-test',
    memoryLimitInMB: '256',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/verifier-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Parses a verifier answer's JSON body. */
export function answerBody(result: { body?: string | undefined }): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}
