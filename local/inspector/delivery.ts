/**
 * What the inspector keeps of one webhook request: read from the gateway's exchange once, with
 * signature and credential header values masked before anything is stored, so no later code path
 * can show them.
 */
import { parseEnvelope } from '../../lambda/shared/event-model.ts';
import { eventKeyFor } from '../../lambda/verifier/event-key.ts';
import type { GatewayExchange } from '../gateway.ts';
import type { SchemeLabel } from './api-types.ts';

/** One received delivery, as stored. */
export interface DeliveryRecord {
  readonly id: string;
  readonly receivedAt: string;
  readonly method: string;
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  /** The raw body as text (UTF-8), or base64 when it is not valid UTF-8. */
  readonly body: string;
  readonly bodyEncoding: 'utf8' | 'base64';
  readonly status: number;
  readonly errorCode?: string;
  readonly answerHeaders: readonly (readonly [string, string])[];
  readonly answerBody: string;
  readonly latencyMs: number;
  readonly scheme: SchemeLabel;
  readonly eventKey?: string;
  /**
   * The event key of a signed body the verifier answered 400 or 422 and kept on the dead-letter
   * queue under that key (no event, so no fate).
   */
  readonly keptEventKey?: string;
  readonly eventType?: string;
  readonly connectionId?: string;
  /** A 200 `duplicate` answer. */
  readonly duplicate: boolean;
}

/** Headers whose values prove or grant something: never stored in the clear. */
const SIGNATURE_HEADERS = new Set(['ofauth-signature', 'svix-signature', 'webhook-signature']);
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);
/** Answers to a signed body that is no event, which the verifier keeps on the dead-letter queue. */
const KEPT_STATUSES = new Set([400, 422]);
/** What replaces a masked value. */
export const MASK = '••••••';

/**
 * A header value safe to show: an `OFAuth-Signature` keeps its `t=` timestamp and its version
 * names (`t=1700000000,v1=••••••`), a Svix signature its version prefixes (`v1,••••••`), a
 * credential nothing; every other header is shown as sent.
 *
 * @example
 * maskHeader('svix-signature', 'v1,abc= v1,def='); // 'v1,•••••• v1,••••••'
 */
export function maskHeader(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (CREDENTIAL_HEADERS.has(lower)) return MASK;
  if (!SIGNATURE_HEADERS.has(lower)) return value;
  if (lower === 'ofauth-signature') {
    return value
      .split(',')
      .map((part) => {
        const equals = part.indexOf('=');
        if (equals === -1) return MASK;
        return part.slice(0, equals).trim() === 't' ? part : `${part.slice(0, equals)}=${MASK}`;
      })
      .join(',');
  }
  return value
    .split(' ')
    .map((part) => {
      const comma = part.indexOf(',');
      return comma === -1 ? MASK : `${part.slice(0, comma)},${MASK}`;
    })
    .join(' ');
}

function headerPairs(raw: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    pairs.push([name, maskHeader(name, raw[i + 1]!)]);
  }
  return pairs;
}

function schemeOf(headers: ReadonlyMap<string, string>): SchemeLabel {
  if (headers.has('ofauth-signature')) return 'ofauth';
  if (headers.has('svix-signature') || headers.has('webhook-signature')) return 'svix';
  return 'none';
}

function utf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The event key the verifier used: its answer's `eventId`, else derived as the verifier derives it. */
function eventKeyOf(
  answer: Record<string, unknown> | undefined,
  headers: ReadonlyMap<string, string>,
  body: Buffer,
  envelopeId: string | undefined,
): string {
  if (typeof answer?.eventId === 'string') return answer.eventId;
  return eventKeyFor({
    webhookId: headers.get('svix-id') ?? headers.get('webhook-id'),
    envelopeId,
    body,
  }).value;
}

/** Reads a gateway exchange into a {@link DeliveryRecord}. */
export function toDeliveryRecord(exchange: GatewayExchange): DeliveryRecord {
  const rawHeaders = new Map<string, string>();
  for (let i = 0; i + 1 < exchange.rawHeaders.length; i += 2)
    rawHeaders.set(exchange.rawHeaders[i]!.toLowerCase(), exchange.rawHeaders[i + 1]!);
  const text = utf8(exchange.body);
  const envelope = text === undefined ? undefined : parseEnvelope(text);
  const parsed = envelope?.ok ? envelope.envelope : undefined;
  const answerBody = exchange.responseBody.toString('utf8');
  const answer = jsonObject(answerBody);
  const accepted = exchange.statusCode >= 200 && exchange.statusCode < 300;
  const kept = KEPT_STATUSES.has(exchange.statusCode) && schemeOf(rawHeaders) !== 'none';
  return {
    id: exchange.requestId,
    receivedAt: new Date(exchange.receivedAt).toISOString(),
    method: exchange.method,
    path: exchange.url,
    headers: headerPairs(exchange.rawHeaders),
    body: text ?? exchange.body.toString('base64'),
    bodyEncoding: text === undefined ? 'base64' : 'utf8',
    status: exchange.statusCode,
    ...(!accepted && typeof answer?.error === 'string' && { errorCode: answer.error }),
    answerHeaders: Object.entries(exchange.responseHeaders).map(
      ([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value] as const,
    ),
    answerBody,
    latencyMs: exchange.latencyMs,
    scheme: schemeOf(rawHeaders),
    ...(accepted && { eventKey: eventKeyOf(answer, rawHeaders, exchange.body, parsed?.id) }),
    ...(kept && { keptEventKey: eventKeyOf(answer, rawHeaders, exchange.body, parsed?.id) }),
    ...(parsed && { eventType: parsed.type }),
    ...(parsed?.connectionId && { connectionId: parsed.connectionId }),
    duplicate: accepted && answer?.duplicate === true,
  };
}
