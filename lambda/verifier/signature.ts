/**
 * Pure signature verification for both schemes OFAuth uses (see `docs/ofauth-contract.md`):
 *
 * - `OFAuth-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` — hex HMAC-SHA256 of `"{t}.{body}"`,
 *   the Stripe header layout; several `v1` entries may appear and unknown keys are ignored.
 * - Svix / Standard Webhooks: `svix-id`, `svix-timestamp`, `svix-signature` (or the `webhook-*`
 *   names) — base64 HMAC-SHA256 of `"{id}.{timestamp}.{body}"`, space-separated `v1,<base64>`
 *   entries.
 *
 * Body, headers, secrets and the clock come in; a result comes out. Nothing here throws on any
 * header value, logs, or reads the environment. Signing, which only tests and dev tools do, is in
 * `testing/signers.ts`.
 *
 * Which key each configured secret contributes:
 * - OFAuth-Signature: the secret string's UTF-8 bytes (as documented); for a `whsec_` secret also
 *   the base64-decoded part after the prefix, because the OFAuth SDKs hand out `whsec_` secrets
 *   and either reading is a key only the holder of that secret can use.
 * - Svix / Standard Webhooks: the base64-decoded part after `whsec_` (standard or URL-safe,
 *   padded or not); a secret without the prefix is used only if it is strict base64.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { SignatureScheme } from '../shared/queue-message.ts';

/** The default tolerance between a signature's timestamp and now, either direction. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The prefix of a Svix / Standard Webhooks signing secret. */
export const SVIX_SECRET_PREFIX = 'whsec_';

/** Why a delivery's signature was not accepted; answered as the `error` code of a 401. */
export type SignatureFailureCode =
  /** No `OFAuth-Signature`, `svix-signature` or `webhook-signature` header. */
  | 'missing_signature'
  /** A signature header without a usable `t` / `v1` entry. */
  | 'malformed_signature'
  /** A Svix / Standard Webhooks signature without its `*-id` header. */
  | 'missing_webhook_id'
  /** A Svix / Standard Webhooks signature without its `*-timestamp` header. */
  | 'missing_timestamp'
  /** A timestamp that is not a whole number of seconds. */
  | 'malformed_timestamp'
  /** A genuine signature whose timestamp is further from now than the tolerance. */
  | 'timestamp_out_of_tolerance'
  /** No configured secret produces any of the signatures sent. */
  | 'invalid_signature';

/** A verified delivery. */
export interface VerifiedSignature {
  readonly ok: true;
  readonly scheme: SignatureScheme;
  /** The signed `svix-id` / `webhook-id` (Svix scheme only). */
  readonly webhookId?: string;
  /** The signed timestamp, in Unix seconds. */
  readonly timestamp: number;
}

/** A rejected delivery. */
export interface RejectedSignature {
  readonly ok: false;
  readonly code: SignatureFailureCode;
  /** The scheme whose headers were present, when one was. */
  readonly scheme?: SignatureScheme;
}

/** The result of {@link verifySignature}. */
export type SignatureVerification = VerifiedSignature | RejectedSignature;

/** Request headers as API Gateway passes them; names are matched case-insensitively. */
export type Headers = Readonly<Record<string, string | undefined>>;

/** Options of {@link verifySignature}. */
export interface VerifyOptions {
  /** The current time in milliseconds since the epoch. */
  readonly now: number;
  /** Accepted distance between the signed timestamp and now, in seconds, either way. @default 300 */
  readonly toleranceSeconds?: number;
}

const OFAUTH_HEADER = 'ofauth-signature';
const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TIMESTAMP = /^\d{1,12}$/;
const DIGEST_BYTES = 32;

/** Lower-cases header names; API Gateway already does, other callers may not. */
export function normalizeHeaders(headers: Headers | undefined | null): Record<string, string> {
  const normalized: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return normalized;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') normalized[name.toLowerCase()] = value;
  }
  return normalized;
}

/** The parsed `OFAuth-Signature` header. */
export type OfAuthHeader =
  | { readonly ok: true; readonly timestamp: string; readonly signatures: readonly Buffer[] }
  | { readonly ok: false; readonly code: 'malformed_signature' | 'malformed_timestamp' };

/**
 * Parses `t=…,v1=…[,v1=…]`. Unknown keys and `v1` values that are not 64 hex digits are skipped;
 * a header without exactly one `t` or without any usable `v1` is malformed. Never throws.
 */
export function parseOfAuthSignatureHeader(value: unknown): OfAuthHeader {
  if (typeof value !== 'string') return { ok: false, code: 'malformed_signature' };
  let timestamp: string | undefined;
  let timestamps = 0;
  const signatures: Buffer[] = [];
  for (const item of value.split(',')) {
    const equals = item.indexOf('=');
    if (equals <= 0) continue;
    const key = item.slice(0, equals).trim();
    const entry = item.slice(equals + 1).trim();
    if (key === 't') {
      timestamps += 1;
      timestamp = entry;
    } else if (key === 'v1' && HEX_SIGNATURE.test(entry)) {
      signatures.push(Buffer.from(entry, 'hex'));
    }
  }
  if (timestamps !== 1 || timestamp === undefined || signatures.length === 0) {
    return { ok: false, code: 'malformed_signature' };
  }
  if (!TIMESTAMP.test(timestamp)) return { ok: false, code: 'malformed_timestamp' };
  return { ok: true, timestamp, signatures };
}

/**
 * Parses a Svix / Standard Webhooks signature header: space-separated `v1,<base64>` entries.
 * Other versions (e.g. the asymmetric `v1a`) and entries that are not a 32-byte base64 digest are
 * skipped. Returns the usable digests, possibly none. Never throws.
 */
export function parseSvixSignatureHeader(value: unknown): Buffer[] {
  if (typeof value !== 'string') return [];
  const signatures: Buffer[] = [];
  for (const entry of value.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const encoded = entry.slice(comma + 1);
    if (!STRICT_BASE64.test(encoded)) continue;
    const digest = Buffer.from(encoded, 'base64');
    if (digest.length === DIGEST_BYTES) signatures.push(digest);
  }
  return signatures;
}

/** Base64 in either alphabet (standard `+/` or URL-safe `-_`, not mixed), without its padding. */
const STANDARD_BASE64_DIGITS = /^[A-Za-z0-9+/]+$/;
const URL_SAFE_BASE64_DIGITS = /^[A-Za-z0-9_-]+$/;

/**
 * The bytes of a `whsec_` secret's base64 part, read as leniently as the Svix libraries and the
 * OFAuth SDKs read it: standard or URL-safe alphabet, padded or not (svix's decoder takes
 * unpadded text; the OFAuth TypeScript SDK decodes with Node's `Buffer.from(…, 'base64')`, which
 * takes both alphabets). Padding, when present, must complete the last 4-character block.
 */
function decodeLenientBase64(encoded: string): Buffer | undefined {
  const digits = encoded.replace(/={1,2}$/, '');
  if (digits !== encoded && encoded.length % 4 !== 0) return undefined;
  if (digits.length === 0 || digits.length % 4 === 1) return undefined;
  if (!STANDARD_BASE64_DIGITS.test(digits) && !URL_SAFE_BASE64_DIGITS.test(digits)) return undefined;
  return Buffer.from(digits, 'base64');
}

function decodedSvixSecret(secret: string): Buffer | undefined {
  if (secret.startsWith(SVIX_SECRET_PREFIX)) {
    return decodeLenientBase64(secret.slice(SVIX_SECRET_PREFIX.length));
  }
  // Without the prefix only strict base64 counts, so that a plain OFAuth secret (whose letters are
  // often valid unpadded base64) never turns into a Svix key.
  if (secret.length === 0 || !STRICT_BASE64.test(secret)) return undefined;
  return Buffer.from(secret, 'base64');
}

/** The HMAC keys a set of secrets yields for one scheme, without repeats. */
export function signingKeys(secrets: readonly string[], scheme: SignatureScheme): Buffer[] {
  const keys = new Map<string, Buffer>();
  const add = (key: Buffer | undefined) => {
    if (key && key.length > 0) keys.set(key.toString('base64'), key);
  };
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length === 0) continue;
    if (scheme === 'ofauth') {
      add(Buffer.from(secret, 'utf8'));
      if (secret.startsWith(SVIX_SECRET_PREFIX)) add(decodedSvixSecret(secret));
    } else if (secret.startsWith(SVIX_SECRET_PREFIX) || STRICT_BASE64.test(secret)) {
      add(decodedSvixSecret(secret));
    }
  }
  return [...keys.values()];
}

/**
 * HMAC keys as `KeyObject`s, memoized per secrets array (the secrets cache hands out the same
 * array until it refreshes). Building the HMAC from a raw Buffer imports the key on every call,
 * which cost about 14 µs of a 20 µs verification; a prepared KeyObject takes about 2.5 µs.
 */
const preparedKeys = new WeakMap<readonly string[], Partial<Record<SignatureScheme, KeyObject[]>>>();

function preparedSigningKeys(secrets: readonly string[], scheme: SignatureScheme): KeyObject[] {
  let byScheme = preparedKeys.get(secrets);
  if (!byScheme) {
    byScheme = {};
    preparedKeys.set(secrets, byScheme);
  }
  byScheme[scheme] ??= signingKeys(secrets, scheme).map((key) => createSecretKey(key));
  return byScheme[scheme];
}

function digest(key: Buffer | KeyObject, prefix: string, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(prefix, 'utf8').update(body).digest();
}

/** Constant-time match of one expected digest against every signature sent. */
function matchesAny(expected: Buffer, signatures: readonly Buffer[]): boolean {
  let matched = false;
  for (const signature of signatures) {
    // timingSafeEqual throws on a length mismatch; the parsers only keep 32-byte digests, and the
    // check stays here so that no caller can turn a length difference into an exception.
    if (signature.length === expected.length && timingSafeEqual(signature, expected)) matched = true;
  }
  return matched;
}

function withinTolerance(timestamp: number, now: number, toleranceSeconds: number): boolean {
  const nowSeconds = Math.floor(now / 1000);
  return Math.abs(nowSeconds - timestamp) <= toleranceSeconds;
}

function verifyOfAuth(
  body: Uint8Array,
  header: string,
  secrets: readonly string[],
  options: VerifyOptions,
): SignatureVerification {
  const parsed = parseOfAuthSignatureHeader(header);
  if (!parsed.ok) return { ok: false, code: parsed.code, scheme: 'ofauth' };
  const prefix = `${parsed.timestamp}.`;
  const genuine = preparedSigningKeys(secrets, 'ofauth').some((key) =>
    matchesAny(digest(key, prefix, body), parsed.signatures),
  );
  if (!genuine) return { ok: false, code: 'invalid_signature', scheme: 'ofauth' };
  const timestamp = Number(parsed.timestamp);
  if (!withinTolerance(timestamp, options.now, options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, code: 'timestamp_out_of_tolerance', scheme: 'ofauth' };
  }
  return { ok: true, scheme: 'ofauth', timestamp };
}

function verifySvix(
  body: Uint8Array,
  headers: Record<string, string>,
  prefix: 'svix' | 'webhook',
  secrets: readonly string[],
  options: VerifyOptions,
): SignatureVerification {
  const id = headers[`${prefix}-id`];
  const rawTimestamp = headers[`${prefix}-timestamp`]?.trim();
  const signatures = parseSvixSignatureHeader(headers[`${prefix}-signature`]);
  if (!id) return { ok: false, code: 'missing_webhook_id', scheme: 'svix' };
  if (!rawTimestamp) return { ok: false, code: 'missing_timestamp', scheme: 'svix' };
  if (!TIMESTAMP.test(rawTimestamp)) return { ok: false, code: 'malformed_timestamp', scheme: 'svix' };
  if (signatures.length === 0) return { ok: false, code: 'malformed_signature', scheme: 'svix' };
  const signedPrefix = `${id}.${rawTimestamp}.`;
  const genuine = preparedSigningKeys(secrets, 'svix').some((key) =>
    matchesAny(digest(key, signedPrefix, body), signatures),
  );
  if (!genuine) return { ok: false, code: 'invalid_signature', scheme: 'svix' };
  const timestamp = Number(rawTimestamp);
  if (!withinTolerance(timestamp, options.now, options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, code: 'timestamp_out_of_tolerance', scheme: 'svix' };
  }
  return { ok: true, scheme: 'svix', webhookId: id, timestamp };
}

/**
 * Verifies a delivery's signature over its raw body with every configured secret.
 *
 * When headers of several schemes are present, each is tried (Svix, Standard Webhooks, then
 * OFAuth-Signature); the first that verifies wins, otherwise the first scheme's failure is
 * answered. The signature is checked before the timestamp, so `timestamp_out_of_tolerance` always
 * means a genuine but stale (or future) delivery, and `invalid_signature` a wrong secret or a
 * forgery.
 *
 * @example
 * const result = verifySignature(rawBody, event.headers, ['whsec_…'], { now: Date.now() });
 * if (!result.ok) return { statusCode: 401, body: JSON.stringify({ error: result.code }) };
 */
export function verifySignature(
  body: Uint8Array,
  headers: Headers | undefined | null,
  secrets: readonly string[],
  options: VerifyOptions,
): SignatureVerification {
  const normalized = normalizeHeaders(headers);
  const attempts: Array<() => SignatureVerification> = [];
  if (normalized['svix-signature'] !== undefined) {
    attempts.push(() => verifySvix(body, normalized, 'svix', secrets, options));
  }
  if (normalized['webhook-signature'] !== undefined) {
    attempts.push(() => verifySvix(body, normalized, 'webhook', secrets, options));
  }
  const ofAuthHeader = normalized[OFAUTH_HEADER];
  if (ofAuthHeader !== undefined) {
    attempts.push(() => verifyOfAuth(body, ofAuthHeader, secrets, options));
  }
  let firstFailure: SignatureVerification | undefined;
  for (const attempt of attempts) {
    const result = attempt();
    if (result.ok) return result;
    firstFailure ??= result;
  }
  return firstFailure ?? { ok: false, code: 'missing_signature' };
}
