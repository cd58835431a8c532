/**
 * Signing deliveries as OFAuth does (`OFAuth-Signature`) and as Svix / Standard Webhooks do
 * (`svix-*` / `webhook-*` headers): for tests and dev tools that post to a receiver. The verifier
 * never signs, so these live here, beside the other factories of `ofauth-webhook-receiver/testing`.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { SVIX_SECRET_PREFIX, signingKeys } from '../lambda/verifier/signature.ts';

function bytesOf(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function hmac(key: Buffer, prefix: string, body: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(prefix, 'utf8').update(bytesOf(body)).digest();
}

/** Input of {@link signOfAuth}. */
export interface OfAuthSigningInput {
  /** The signing secret; its UTF-8 bytes are the HMAC key. */
  readonly secret: string;
  /** The exact body to be sent. */
  readonly body: Uint8Array | string;
  /** Unix seconds. */
  readonly timestamp: number;
}

/**
 * Produces an `OFAuth-Signature` header value, as OFAuth signs a delivery.
 *
 * @example
 * const header = signOfAuth({ secret, body, timestamp: Math.floor(Date.now() / 1000) });
 * // 't=1700000000,v1=5f0c…'
 */
export function signOfAuth(input: OfAuthSigningInput): string {
  const t = String(input.timestamp);
  return `t=${t},v1=${hmac(Buffer.from(input.secret, 'utf8'), `${t}.`, input.body).toString('hex')}`;
}

/** Input of {@link signSvix}. */
export interface SvixSigningInput {
  /** A `whsec_…` secret (or its base64 part). */
  readonly secret: string;
  /** The message id (`svix-id`). */
  readonly id: string;
  /** The exact body to be sent. */
  readonly body: Uint8Array | string;
  /** Unix seconds. */
  readonly timestamp: number;
}

/**
 * Produces a Svix / Standard Webhooks signature header value (`v1,<base64>`), with the key the
 * verifier derives from the same secret.
 *
 * @throws {TypeError} when the secret is not base64 after its `whsec_` prefix
 */
export function signSvix(input: SvixSigningInput): string {
  const [key] = signingKeys([input.secret], 'svix');
  if (!key) throw new TypeError('a Svix signing secret must be base64 after its whsec_ prefix');
  return `v1,${hmac(key, `${input.id}.${input.timestamp}.`, input.body).toString('base64')}`;
}

/**
 * The three headers of a Svix (`svix-*`) or Standard Webhooks (`webhook-*`) delivery.
 *
 * @example
 * const headers = svixHeaders({ secret: 'whsec_…', id: 'msg_1', body, timestamp: now });
 */
export function svixHeaders(
  input: SvixSigningInput & {
    /** Header name prefix. @default 'svix' */
    readonly prefix?: 'svix' | 'webhook';
  },
): Record<string, string> {
  const prefix = input.prefix ?? 'svix';
  return {
    [`${prefix}-id`]: input.id,
    [`${prefix}-timestamp`]: String(input.timestamp),
    [`${prefix}-signature`]: signSvix(input),
  };
}

/**
 * A `whsec_` secret of 32 bytes: random, or derived from `seed` so that tests are repeatable.
 *
 * @default - random, when no seed is given
 */
export function generateSvixSecret(seed?: string): string {
  const bytes = seed === undefined ? randomBytes(32) : createHash('sha256').update(seed).digest();
  return `${SVIX_SECRET_PREFIX}${bytes.toString('base64')}`;
}
