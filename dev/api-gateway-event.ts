/**
 * The one builder of API Gateway HTTP API (payload 2.0) events: the event API Gateway hands the
 * verifier for a request, following its rules (header names lower-cased and repeats joined with
 * commas, cookies moved out of the headers, repeated query parameters joined, the body as text or
 * base64 by content type, forwarding headers added). The local gateway builds each request's event
 * with it; the benchmarks and the tests drive the verifier's handler in-process with it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { WEBHOOK_PATH } from '../lambda/shared/deployment-names.ts';

/** The account id of the local stand-ins for AWS (the gateway's events, the functions' ARNs), as the emulators use it. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** A request as a client sent it. */
export interface HttpRequest {
  /** @default 'POST' */
  readonly method?: string;
  /** Path and query as received, e.g. `/webhooks/ofauth?x=1`. @default WEBHOOK_PATH */
  readonly url?: string;
  /** Names and values as sent; pairs may repeat a name, as duplicated headers do. @default none */
  readonly headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  /** The body's bytes (a string is sent as UTF-8). @default no body */
  readonly body?: string | Uint8Array;
  /** Overrides API Gateway's choice, to model a lying flag. @default base64 unless the content type is text */
  readonly isBase64Encoded?: boolean;
  /** The body as API Gateway forwards it, when it must differ from `body` (a lying flag). @default `body`, encoded */
  readonly forwardedBody?: string;
  /** @default '127.0.0.1' */
  readonly sourceIp?: string;
  /** The port the request came in on; 443 is HTTPS, any other HTTP. @default 443 */
  readonly port?: number;
  /** Milliseconds since the epoch. @default Date.now() */
  readonly timeEpoch?: number;
}

/**
 * Content types API Gateway hands to Lambda as text; every other body (a missing content type
 * included) arrives base64-encoded with `isBase64Encoded: true`. AWS does not list them; this is
 * the split observed on real HTTP APIs.
 */
const TEXT_MEDIA_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);

/** Whether API Gateway passes a body with this `content-type` as text. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType.startsWith('text/') || TEXT_MEDIA_TYPES.has(mediaType);
}

/** Node's `IncomingMessage.rawHeaders` (names and values alternating) as pairs. */
export function rawHeaderPairs(rawHeaders: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return pairs;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` as API Gateway writes it: `15/Jan/2024:10:30:00 +0000`. */
function clfTime(epoch: number): string {
  const d = new Date(epoch);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map(pad).join(':');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${time} +0000`;
}

function decodeQueryComponent(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}

/** Repeated names joined with commas, as API Gateway passes headers and query parameters. */
function joinRepeated(pairs: Iterable<readonly [string, string]>): Record<string, string> {
  const joined: Record<string, string> = {};
  for (const [name, value] of pairs) joined[name] = name in joined ? `${joined[name]},${value}` : value;
  return joined;
}

function queryParameters(rawQueryString: string): Record<string, string> {
  const pairs = rawQueryString
    .split('&')
    .filter(Boolean)
    .map((pair): [string, string] => {
      const equals = pair.indexOf('=');
      if (equals === -1) return [decodeQueryComponent(pair), ''];
      return [decodeQueryComponent(pair.slice(0, equals)), decodeQueryComponent(pair.slice(equals + 1))];
    });
  return joinRepeated(pairs);
}

/** The headers API Gateway passes (cookies taken out) and adds, and the cookies. */
function gatewayHeaders(request: HttpRequest, port: number, timeEpoch: number) {
  const sent = Array.isArray(request.headers)
    ? (request.headers as ReadonlyArray<readonly [string, string]>)
    : Object.entries(request.headers ?? {});
  const lowered = sent.map(([name, value]): [string, string] => [name.toLowerCase(), value]);
  const cookies = lowered
    .filter(([name]) => name === 'cookie')
    .flatMap(([, value]) => value.split(';').map((cookie) => cookie.trim()))
    .filter(Boolean);
  const headers = joinRepeated(lowered.filter(([name]) => name !== 'cookie'));
  const sourceIp = request.sourceIp ?? '127.0.0.1';
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-port'] = String(port);
  headers['x-forwarded-proto'] = port === 443 ? 'https' : 'http';
  headers['x-amzn-trace-id'] =
    `Root=1-${Math.floor(timeEpoch / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  return { headers, cookies };
}

/** The body as API Gateway forwards it, and its base64 flag. */
function forwardedBody(request: HttpRequest, contentType: string | undefined) {
  const bytes = request.body === undefined ? undefined : Buffer.from(request.body);
  const hasBody = request.forwardedBody !== undefined || (bytes !== undefined && bytes.length > 0);
  const isBase64Encoded = request.isBase64Encoded ?? (hasBody && !isTextContentType(contentType));
  const body = request.forwardedBody ?? bytes?.toString(isBase64Encoded ? 'base64' : 'utf8');
  return { isBase64Encoded, ...(hasBody && { body }) };
}

/**
 * The payload-2.0 event API Gateway would hand the verifier for this request.
 *
 * @example
 * const delivery = signDelivery(eventBody(), { scheme: 'svix', secret });
 * const answer = await handler(httpApiEvent(delivery), lambdaContext());
 */
export function httpApiEvent(request: HttpRequest): APIGatewayProxyEventV2 {
  const timeEpoch = request.timeEpoch ?? Date.now();
  const port = request.port ?? 443;
  const method = request.method ?? 'POST';
  const url = request.url ?? WEBHOOK_PATH;
  const queryAt = url.indexOf('?');
  const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : url.slice(queryAt + 1);
  const query = queryParameters(rawQueryString);
  const { headers, cookies } = gatewayHeaders(request, port, timeEpoch);
  const domainName = (headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.', 1)[0]!,
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: clfTime(timeEpoch),
      timeEpoch,
    },
    ...forwardedBody(request, headers['content-type']),
  };
}
