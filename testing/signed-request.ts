/**
 * A delivery signed the way OFAuth signs it, in either scheme the verifier accepts, for a test
 * that posts to a receiver (`npm start`'s local URL, or a deployed `webhookUrl`). The signers are
 * the verifier's own (`lambda/verifier/signature.ts`), which the repository's tests check against
 * the Svix and standardwebhooks libraries.
 */
import { randomUUID } from 'node:crypto';
import { signOfAuth, svixHeaders } from './signers.ts';

/** Input of {@link signedRequest}. */
export interface SignedRequestInput {
  /** The event (serialized as OFAuth sends it) or the exact body. */
  readonly body: object | string;
  /** The signing secret: any string for `ofauth`, a `whsec_…` secret for `svix`. */
  readonly secret: string;
  /**
   * `ofauth` (one `OFAuth-Signature` header) or `svix` (`svix-id`, `svix-timestamp`,
   * `svix-signature`).
   *
   * @default 'ofauth'
   */
  readonly scheme?: 'ofauth' | 'svix';
  /** Unix seconds of the signature. @default now */
  readonly timestamp?: number;
  /** The `svix-id` (Svix scheme only). @default a random `msg_…` id */
  readonly id?: string;
}

/** A signed delivery: the exact body and the headers to send with it. */
export interface SignedRequest {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A body and the headers that sign it, ready for `fetch(url, { method: 'POST', ...request })`.
 *
 * @example
 * const request = signedRequest({ body: exampleEvent('connection.created'), secret });
 * await fetch(webhookUrl, { method: 'POST', ...request });
 */
export function signedRequest(input: SignedRequestInput): SignedRequest {
  const body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const contentType = { 'content-type': 'application/json' };
  if ((input.scheme ?? 'ofauth') === 'ofauth') {
    return {
      body,
      headers: { ...contentType, 'ofauth-signature': signOfAuth({ secret: input.secret, body, timestamp }) },
    };
  }
  const id = input.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
  return { body, headers: { ...contentType, ...svixHeaders({ secret: input.secret, id, body, timestamp }) } };
}
