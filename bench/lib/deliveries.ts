/**
 * Builds OFAuth deliveries the way the sender does: a JSON body of a given size, signed with
 * either scheme. Written from the contract (`docs/ofauth-contract.md`), independently of the
 * verifier's own signing helpers, so that a shared mistake cannot make both sides agree.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** A signature scheme OFAuth uses. */
export type Scheme = 'ofauth' | 'svix';

/** A request as the sender makes it: body bytes (as text) and headers. */
export interface Delivery {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** `OFAuth-Signature: t=…,v1=…`: hex HMAC-SHA256 of `{t}.{body}` keyed with the secret string. */
export function ofauthSignatureHeader(body: string, secret: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** `svix-signature: v1,<base64>` of `{id}.{timestamp}.{body}` keyed with the bytes after `whsec_`. */
export function svixSignatureHeader(
  id: string,
  timestampSeconds: number,
  body: string,
  secret: string,
): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const v1 = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${v1}`;
}

/** A fresh Standard Webhooks secret (`whsec_` + base64 of 24 random bytes). */
export function newSvixSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** A fresh OFAuth-style secret string. */
export function newOfauthSecret(): string {
  return `ofauth_sk_${randomBytes(24).toString('hex')}`;
}

/** Options for {@link eventBody}. */
export interface EventBodyOptions {
  /** @default 'connection.updated' */
  readonly type?: string;
  /** @default 'conn_bench' */
  readonly connectionId?: string;
  /** A sequence number carried in the body, so that order can be checked after processing. @default 0 */
  readonly seq?: number;
  /** Pads the body to exactly this many bytes (UTF-8). @default no padding */
  readonly sizeBytes?: number;
  /** Makes otherwise equal bodies distinct (the event key of an `OFAuth-Signature` delivery is the body's hash). @default a random nonce */
  readonly nonce?: string;
}

/**
 * A documented-shape connection event. `data.connection.userData.name` carries the sequence
 * number and `data.padding` fills the body to `sizeBytes`; both are fields the schemas let pass.
 */
export function eventBody(options: EventBodyOptions = {}): string {
  const type = options.type ?? 'connection.updated';
  const connectionId = options.connectionId ?? 'conn_bench';
  const seq = options.seq ?? 0;
  const nonce = options.nonce ?? randomBytes(6).toString('hex');
  const event = {
    type,
    timestamp: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
    data: {
      clientReferenceId: `user_${connectionId}`,
      connection: {
        id: connectionId,
        status: 'active',
        userData: { name: `seq ${seq}`, username: nonce },
      },
      padding: '',
    },
  };
  const base = JSON.stringify(event);
  if (options.sizeBytes === undefined) {
    const { padding: _, ...data } = event.data;
    return JSON.stringify({ ...event, data });
  }
  const missing = options.sizeBytes - Buffer.byteLength(base);
  if (missing < 0)
    throw new Error(`a body of ${options.sizeBytes} bytes is too small for the event (${base.length})`);
  event.data.padding = 'x'.repeat(missing);
  return JSON.stringify(event);
}

/** Reads back the sequence number written by {@link eventBody}. */
export function seqOf(body: string): number {
  const name = JSON.parse(body)?.data?.connection?.userData?.name;
  return Number(String(name).replace('seq ', ''));
}

/** Signs a body with the `OFAuth-Signature` scheme. */
export function ofauthDelivery(
  body: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Delivery {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'ofauth-signature': ofauthSignatureHeader(body, secret, nowSeconds),
    },
  };
}

/** Signs a body with the Svix scheme; `id` is the stable message id (the event key). */
export function svixDelivery(
  body: string,
  secret: string,
  id = `msg_${randomBytes(12).toString('hex')}`,
  nowSeconds = Math.floor(Date.now() / 1000),
): Delivery {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(nowSeconds),
      'svix-signature': svixSignatureHeader(id, nowSeconds, body, secret),
    },
  };
}
