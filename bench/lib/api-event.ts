/**
 * API Gateway HTTP API (payload 2.0) events for driving the verifier's handler in-process, built
 * the way API Gateway builds them: header names lower-cased, repeated headers joined with commas,
 * a binary or non-UTF-8 body base64-encoded with `isBase64Encoded` set.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { WEBHOOK_PATH } from '../../lambda/shared/deployment-names.ts';

/** What a client sent. `headers` may repeat a name (as pairs) to model duplicated headers. */
export interface RawRequest {
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string> | ReadonlyArray<readonly [string, string]>;
  /** Overrides what API Gateway would decide, to model a lying flag. @default base64 only for a Buffer body */
  readonly isBase64Encoded?: boolean;
  /** The body as API Gateway forwards it, when it must differ from `body` (a lying flag). */
  readonly forwardedBody?: string;
}

let requestCounter = 0;

/** Builds the payload 2.0 event API Gateway would hand the verifier for `request`. */
export function apiGatewayEvent(request: RawRequest, path = WEBHOOK_PATH): APIGatewayProxyEventV2 {
  const pairs = Array.isArray(request.headers)
    ? (request.headers as ReadonlyArray<readonly [string, string]>)
    : Object.entries(request.headers ?? {});
  const headers: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]},${value}`;
  }
  const isBuffer = Buffer.isBuffer(request.body);
  const isBase64Encoded = request.isBase64Encoded ?? isBuffer;
  let body: string | undefined;
  if (request.forwardedBody !== undefined) body = request.forwardedBody;
  else if (request.body === undefined) body = undefined;
  else if (isBuffer)
    body = isBase64Encoded ? (request.body as Buffer).toString('base64') : request.body.toString();
  else
    body = isBase64Encoded
      ? Buffer.from(request.body as string).toString('base64')
      : (request.body as string);
  requestCounter += 1;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: {
        method: 'POST',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? 'bench',
      },
      requestId: `req-${now}-${requestCounter}`,
      routeKey: `POST ${path}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded,
    ...(body !== undefined && { body }),
  };
}
