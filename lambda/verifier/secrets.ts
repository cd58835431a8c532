/**
 * The signing secrets, read from Secrets Manager and cached in memory.
 *
 * Plain SDK rather than Powertools Parameters' `SecretsProvider`: the verifier needs three things
 * the provider's `maxAge`/`forceFetch` cache does not give — one fetch shared by concurrent
 * requests (a cold instance under a burst makes one call, not fifty), a forced refresh that is
 * rate-limited, and serving the last good value when a TTL refresh fails (secrets rarely change;
 * an outage of Secrets Manager should not turn every delivery into a 503). With those written
 * here, the provider's own cache would be a second, redundant layer.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DependencyError } from './errors.ts';

/** Where the verifier gets its signing secrets. */
export interface SigningSecretSource {
  /** The current secrets: cached, or fetched when the cache is empty or past its TTL. */
  current(): Promise<readonly string[]>;
  /**
   * Fetches again after a signature miss, unless a fetch happened within the rate limit.
   * Resolves `undefined` when rate-limited.
   *
   * @throws {DependencyError} when the fetch fails (the caller answers the miss with its 401)
   */
  refresh(): Promise<readonly string[] | undefined>;
}

/**
 * Splits a secret value into its secrets: one or more, separated by commas or whitespace, so that
 * rotation is "add the new one beside the old, then remove the old".
 *
 * @example
 * parseSigningSecrets('whsec_new, whsec_old'); // ['whsec_new', 'whsec_old']
 */
export function parseSigningSecrets(value: string): string[] {
  return [...new Set(value.split(/[\s,]+/).filter((secret) => secret.length > 0))];
}

/** Options of {@link CachedSigningSecrets}. */
export interface CachedSigningSecretsOptions {
  /** Reads the raw secret value. */
  readonly fetch: () => Promise<string>;
  /** How long a fetched value is used without asking again. @default 300_000 */
  readonly ttlMs?: number;
  /** The shortest time between two fetches forced by signature misses. @default 10_000 */
  readonly minRefreshIntervalMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Told when a TTL refresh failed and the previous value was kept. */
  readonly onStaleValueKept?: (error: unknown) => void;
}

/** Default cache TTL (SECRETS_CACHE_TTL_SECONDS). */
export const DEFAULT_SECRETS_TTL_SECONDS = 300;
/** Default minimum interval between forced refreshes. */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 10_000;

/**
 * An in-memory cache of the signing secrets with a TTL, single-flight fetches, a rate-limited
 * forced refresh, and the last good value kept when a TTL refresh fails.
 *
 * @example
 * const secrets = new CachedSigningSecrets({ fetch: secretsManagerFetcher(client, 'ofauth/signing') });
 * const current = await secrets.current();
 */
export class CachedSigningSecrets implements SigningSecretSource {
  readonly #fetch: () => Promise<string>;
  readonly #ttlMs: number;
  readonly #minRefreshIntervalMs: number;
  readonly #now: () => number;
  readonly #onStaleValueKept: ((error: unknown) => void) | undefined;
  #value: readonly string[] | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<readonly string[]> | undefined;

  constructor(options: CachedSigningSecretsOptions) {
    this.#fetch = options.fetch;
    this.#ttlMs = options.ttlMs ?? DEFAULT_SECRETS_TTL_SECONDS * 1000;
    this.#minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
    this.#onStaleValueKept = options.onStaleValueKept;
  }

  async current(): Promise<readonly string[]> {
    if (this.#value && this.#now() - this.#fetchedAt < this.#ttlMs) return this.#value;
    try {
      return await this.#load();
    } catch (error) {
      if (!this.#value) throw error;
      this.#onStaleValueKept?.(error);
      return this.#value;
    }
  }

  async refresh(): Promise<readonly string[] | undefined> {
    if (this.#inFlight) return this.#inFlight;
    if (this.#now() - this.#lastAttemptAt < this.#minRefreshIntervalMs) return undefined;
    return this.#load();
  }

  #load(): Promise<readonly string[]> {
    this.#inFlight ??= this.#fetchAndParse().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #fetchAndParse(): Promise<readonly string[]> {
    this.#lastAttemptAt = this.#now();
    let raw: string;
    try {
      raw = await this.#fetch();
    } catch (error) {
      throw error instanceof DependencyError ? error : new DependencyError('secrets', { cause: error });
    }
    const secrets = parseSigningSecrets(raw);
    if (secrets.length === 0) {
      throw new DependencyError('secrets', { message: 'the signing secret value holds no secret' });
    }
    this.#value = secrets;
    this.#fetchedAt = this.#now();
    return secrets;
  }
}

/**
 * Reads a secret's string value with `GetSecretValue`.
 *
 * @param secretId the secret's ARN or name (SIGNING_SECRET_ID)
 */
export function secretsManagerFetcher(client: SecretsManagerClient, secretId: string): () => Promise<string> {
  return async () => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (result.SecretString === undefined) {
      throw new DependencyError('secrets', { message: `secret ${secretId} has no string value` });
    }
    return result.SecretString;
  };
}

/** A fixed set of secrets, for tests and tools that sign and verify locally. */
export class StaticSigningSecrets implements SigningSecretSource {
  constructor(private readonly secrets: readonly string[]) {}
  async current(): Promise<readonly string[]> {
    return this.secrets;
  }
  async refresh(): Promise<readonly string[] | undefined> {
    return undefined;
  }
}
