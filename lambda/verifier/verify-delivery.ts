/**
 * The verifier's use case: a raw delivery in, an outcome out. Verify the signature with the
 * current secrets (refreshing once after a miss), normalize the envelope, derive the event key,
 * and hand the event on once — or keep a genuinely signed but unusable body for inspection.
 * No Lambda event shapes here; the middleware turns outcomes and errors into HTTP answers.
 */
import { type EnvelopeProblem, parseEnvelope } from '../shared/envelope.ts';
import { messageGroupIdFor, type SignatureScheme } from '../shared/queue-message.ts';
import { DeliveryRejectedError, type Dependency, DependencyError } from './errors.ts';
import { type EventKey, eventKeyFor } from './event-key.ts';
import { type DeliveryOutcome, type HandOff, isSqsSafeText, type LeaseClock } from './hand-off.ts';
import type { SigningSecretSource } from './secrets.ts';
import { type Headers, type SignatureFailureCode, verifySignature } from './signature.ts';

/** A request as the verifier sees it, after the transport's decoding. */
export interface RawDelivery {
  /** The exact body bytes. */
  readonly body: Buffer;
  readonly headers: Headers;
  /** When the request reached the verifier (ms since the epoch). */
  readonly receivedAt: number;
}

/** The keys every log line of an invocation carries. */
export interface DeliveryKeys {
  readonly eventKey?: string;
  readonly eventType?: string;
  readonly connectionId?: string;
  readonly scheme?: SignatureScheme;
}

/** Why a signed body is refused, with its answer. */
type BodyProblem = EnvelopeProblem | 'unsupported_characters';

const SIGNATURE_MESSAGES: Record<SignatureFailureCode, string> = {
  missing_signature: 'no OFAuth-Signature, svix-signature or webhook-signature header',
  malformed_signature: 'the signature header has no usable timestamp and v1 signature',
  missing_webhook_id: 'the Svix / Standard Webhooks signature has no id header',
  missing_timestamp: 'the Svix / Standard Webhooks signature has no timestamp header',
  malformed_timestamp: 'the signature timestamp is not a whole number of seconds',
  timestamp_out_of_tolerance: 'the signature timestamp is too far from the current time',
  invalid_signature: 'the signature does not match any configured signing secret',
};

const BODY_PROBLEMS: Record<BodyProblem, { statusCode: number; message: string }> = {
  invalid_json: { statusCode: 400, message: 'the signed body is not valid UTF-8 JSON' },
  missing_event_type: {
    statusCode: 422,
    message: 'the signed body has no non-empty string "type" or "eventType"',
  },
  unsupported_characters: {
    statusCode: 422,
    message: 'the signed body holds characters a queue message cannot carry (U+FFFE, U+FFFF)',
  },
};

/** A 4xx for a body that was kept (or not) on the dead-letter queue. */
export class BodyRejectedError extends DeliveryRejectedError {
  constructor(
    code: BodyProblem,
    /** Set when keeping the body failed; the answer stays a 4xx. */
    readonly keepFailure?: { readonly dependency: Dependency; readonly cause: unknown },
  ) {
    super(BODY_PROBLEMS[code].statusCode, code, BODY_PROBLEMS[code].message);
    this.name = 'BodyRejectedError';
  }
}

/** What {@link VerifyDelivery} needs. */
export interface VerifyDeliveryDependencies {
  readonly secrets: SigningSecretSource;
  readonly handOff: HandOff;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default 300 */
  readonly toleranceSeconds?: number;
  /** Told as soon as each log key is known. */
  readonly annotate?: (keys: DeliveryKeys) => void;
  /**
   * Told when the forced refresh after a signature miss failed; the delivery is then answered
   * with the original 401.
   */
  readonly onRefreshFailed?: (error: unknown) => void;
}

// ignoreBOM keeps a leading byte order mark in the text, so that the queued body is the request
// body byte for byte (the envelope parser skips it).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(body: Buffer): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * The verifier's use case.
 *
 * @example
 * const outcome = await new VerifyDelivery({ secrets, handOff }).handle(delivery, context);
 */
export class VerifyDelivery {
  readonly #secrets: SigningSecretSource;
  readonly #handOff: HandOff;
  readonly #clock: () => number;
  readonly #toleranceSeconds: number | undefined;
  readonly #annotate: (keys: DeliveryKeys) => void;
  readonly #onRefreshFailed: (error: unknown) => void;

  constructor(deps: VerifyDeliveryDependencies) {
    this.#secrets = deps.secrets;
    this.#handOff = deps.handOff;
    this.#clock = deps.clock ?? Date.now;
    this.#toleranceSeconds = deps.toleranceSeconds;
    this.#annotate = deps.annotate ?? (() => {});
    this.#onRefreshFailed = deps.onRefreshFailed ?? (() => {});
  }

  /**
   * @throws {DeliveryRejectedError} for a 4xx answer
   * @throws {DependencyError} when Secrets Manager, the event record or the queue failed
   */
  async handle(delivery: RawDelivery, lease: LeaseClock): Promise<DeliveryOutcome> {
    const verification = await this.#verify(delivery);
    if (verification.scheme) this.#annotate({ scheme: verification.scheme });
    if (!verification.ok) {
      throw new DeliveryRejectedError(401, verification.code, SIGNATURE_MESSAGES[verification.code]);
    }
    const { scheme } = verification;
    const receivedAt = new Date(delivery.receivedAt).toISOString();

    const text = decodeUtf8(delivery.body);
    const parsed = text === undefined ? undefined : parseEnvelope(text);
    const envelope = parsed?.ok ? parsed.envelope : undefined;
    const key: EventKey = eventKeyFor({
      webhookId: verification.webhookId,
      envelopeId: envelope?.id,
      body: delivery.body,
    });
    this.#annotate({
      eventKey: key.value,
      ...(envelope && { eventType: envelope.type }),
      ...(envelope?.connectionId !== undefined && { connectionId: envelope.connectionId }),
    });

    let problem: BodyProblem | undefined;
    if (text === undefined || parsed === undefined) problem = 'invalid_json';
    else if (!parsed.ok) problem = parsed.problem;
    else if (!isSqsSafeText(text)) problem = 'unsupported_characters';
    if (problem || text === undefined || envelope === undefined) {
      const code = problem ?? 'invalid_json';
      try {
        await this.#handOff.keepRejected({
          body: delivery.body,
          eventKey: key.value,
          signatureScheme: scheme,
          receivedAt,
          reason: code,
        });
      } catch (error) {
        // The answer stays a 4xx: the body is bad whatever happened to its copy; a sender that
        // retries 4xx gets another chance to keep it, and the failure is logged and counted.
        const dependency = error instanceof DependencyError ? error.dependency : 'dead-letter-queue';
        throw new BodyRejectedError(code, { dependency, cause: error });
      }
      throw new BodyRejectedError(code);
    }

    return this.#handOff.handOn(
      {
        body: text,
        messageGroupId: messageGroupIdFor(envelope),
        ...(envelope.connectionId !== undefined && { connectionId: envelope.connectionId }),
        attributes: { eventType: envelope.type, eventKey: key.value, signatureScheme: scheme, receivedAt },
      },
      lease,
    );
  }

  async #verify(delivery: RawDelivery) {
    const options = {
      now: this.#clock(),
      ...(this.#toleranceSeconds !== undefined && { toleranceSeconds: this.#toleranceSeconds }),
    };
    const secrets = await this.#secrets.current();
    const first = verifySignature(delivery.body, delivery.headers, secrets, options);
    if (first.ok || first.code !== 'invalid_signature') return first;
    // A miss may mean the secret was rotated since the cache was filled: ask again, at most once
    // per rate-limit window, so that forged requests cannot turn into a Secrets Manager flood.
    // The secrets in hand were read, and the signature matches none of them: that is a 401 whether
    // or not Secrets Manager answers now. A 503 here would let forged requests count as dependency
    // failures and raise the server-error alarms during an outage. (With no secrets in hand at all,
    // `current()` above has already failed: nothing could be verified, so that stays a 503.)
    let refreshed: readonly string[] | undefined;
    try {
      refreshed = await this.#secrets.refresh();
    } catch (error) {
      this.#onRefreshFailed(error);
      return first;
    }
    if (!refreshed) return first;
    return verifySignature(delivery.body, delivery.headers, refreshed, { ...options, now: this.#clock() });
  }
}
