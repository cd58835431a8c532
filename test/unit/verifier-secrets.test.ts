import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { DependencyError } from '../../lambda/verifier/errors.ts';
import {
  CachedSigningSecrets,
  parseSigningSecrets,
  StaticSigningSecrets,
  secretsManagerFetcher,
} from '../../lambda/verifier/secrets.ts';

/** A Secrets Manager stand-in: a value, a call count, and failures on demand. */
function fakeStore(initial: string) {
  const store = {
    value: initial,
    calls: 0,
    failing: false,
    fetch: async () => {
      store.calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (store.failing) throw new Error('Secrets Manager is down');
      return store.value;
    },
  };
  return store;
}

function clock(start = 1_000_000) {
  const c = { now: start, read: () => c.now };
  return c;
}

describe('parseSigningSecrets', () => {
  it('splits on commas and whitespace and drops empties and repeats', () => {
    expect(parseSigningSecrets(' whsec_a, whsec_b\nplain  ,,whsec_a\t')).toEqual([
      'whsec_a',
      'whsec_b',
      'plain',
    ]);
  });
});

describe('CachedSigningSecrets', () => {
  it('fetches once and serves warm calls from memory until the TTL', async () => {
    // GIVEN a cache with a 300 s TTL
    const store = fakeStore('s1');
    const time = clock();
    const secrets = new CachedSigningSecrets({ fetch: store.fetch, ttlMs: 300_000, now: time.read });
    // WHEN it is read many times within the TTL
    for (let i = 0; i < 10; i++) expect(await secrets.current()).toEqual(['s1']);
    // THEN Secrets Manager was called once
    expect(store.calls).toBe(1);
    // AND after the TTL the next read fetches again
    store.value = 's2';
    time.now += 300_000;
    expect(await secrets.current()).toEqual(['s2']);
    expect(store.calls).toBe(2);
  });

  it('shares one fetch between concurrent cold reads', async () => {
    const store = fakeStore('s1');
    const secrets = new CachedSigningSecrets({ fetch: store.fetch });
    const results = await Promise.all(Array.from({ length: 50 }, () => secrets.current()));
    expect(results.every((r) => r[0] === 's1')).toBe(true);
    expect(store.calls).toBe(1);
  });

  it('refreshes after a miss at most once per rate-limit window', async () => {
    // GIVEN a warm cache and a 10 s refresh limit
    const store = fakeStore('old');
    const time = clock();
    const secrets = new CachedSigningSecrets({
      fetch: store.fetch,
      minRefreshIntervalMs: 10_000,
      now: time.read,
    });
    await secrets.current();
    store.value = 'old,new';
    // WHEN a miss asks for a refresh right after the first fetch
    // THEN it is rate-limited
    expect(await secrets.refresh()).toBeUndefined();
    // WHEN 10 s have passed
    time.now += 10_000;
    // THEN the refresh fetches the rotated value, which current() serves from then on
    expect(await secrets.refresh()).toEqual(['old', 'new']);
    expect(await secrets.current()).toEqual(['old', 'new']);
    // AND a second miss right after is rate-limited again
    expect(await secrets.refresh()).toBeUndefined();
    expect(store.calls).toBe(2);
  });

  it('keeps the last good value when a TTL refresh fails', async () => {
    const store = fakeStore('s1');
    const time = clock();
    const stale: unknown[] = [];
    const secrets = new CachedSigningSecrets({
      fetch: store.fetch,
      ttlMs: 1000,
      now: time.read,
      onStaleValueKept: (error) => stale.push(error),
    });
    await secrets.current();
    store.failing = true;
    time.now += 1000;
    expect(await secrets.current()).toEqual(['s1']);
    expect(stale).toHaveLength(1);
  });

  it('fails with a DependencyError when nothing is cached and the fetch fails', async () => {
    const store = fakeStore('s1');
    store.failing = true;
    const secrets = new CachedSigningSecrets({ fetch: store.fetch });
    await expect(secrets.current()).rejects.toBeInstanceOf(DependencyError);
    // AND it names the secrets, with the fetch's own error as its cause (what the log line shows)
    await expect(secrets.current()).rejects.toMatchObject({
      dependency: 'secrets',
      cause: expect.objectContaining({ message: 'Secrets Manager is down' }),
    });
    // AND recovers on the next call
    store.failing = false;
    expect(await secrets.current()).toEqual(['s1']);
  });

  it('fails with a DependencyError when a forced refresh fails', async () => {
    const store = fakeStore('s1');
    const time = clock();
    const secrets = new CachedSigningSecrets({ fetch: store.fetch, now: time.read });
    await secrets.current();
    time.now += 60_000;
    store.failing = true;
    await expect(secrets.refresh()).rejects.toMatchObject({ name: 'DependencyError', dependency: 'secrets' });
  });

  it('fails when the secret value holds no secret', async () => {
    const secrets = new CachedSigningSecrets({ fetch: async () => ' , \n' });
    await expect(secrets.current()).rejects.toThrow('holds no secret');
    await expect(secrets.current()).rejects.toMatchObject({ name: 'DependencyError', dependency: 'secrets' });
  });

  it('rate-limits forced refreshes to one per 10 s by default', async () => {
    // GIVEN a cache with the default options, just filled
    const store = fakeStore('s1');
    const time = clock();
    const secrets = new CachedSigningSecrets({ fetch: store.fetch, now: time.read });
    await secrets.current();
    // WHEN misses ask for a refresh just before and at 10 s
    time.now += 9_999;
    expect(await secrets.refresh()).toBeUndefined();
    time.now += 1;
    // THEN only the second fetches
    expect(await secrets.refresh()).toEqual(['s1']);
    expect(store.calls).toBe(2);
  });

  it('answers a refresh asked while a fetch is running with that fetch', async () => {
    // GIVEN a cold cache whose first fetch is still running
    const store = fakeStore('s1');
    const secrets = new CachedSigningSecrets({ fetch: store.fetch, minRefreshIntervalMs: 10_000 });
    const cold = secrets.current();
    // WHEN a miss asks for a refresh meanwhile
    const refreshed = secrets.refresh();
    // THEN it gets the running fetch's secrets, not a rate-limited nothing, and one fetch is made
    expect(await refreshed).toEqual(['s1']);
    expect(await cold).toEqual(['s1']);
    expect(store.calls).toBe(1);
  });
});

describe('reading the secret from Secrets Manager', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  beforeEach(() => secretsManager.reset());

  it("reads the secret's string value by its id", async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'ofauth/signing' })
      .resolves({ SecretString: 'whsec_a' });
    const fetch = secretsManagerFetcher(new SecretsManagerClient({ region: 'us-east-1' }), 'ofauth/signing');
    expect(await fetch()).toBe('whsec_a');
  });

  it('fails with a DependencyError for a secret that has no string value (a binary secret)', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const fetch = secretsManagerFetcher(new SecretsManagerClient({ region: 'us-east-1' }), 'ofauth/signing');
    await expect(fetch()).rejects.toMatchObject({
      name: 'DependencyError',
      dependency: 'secrets',
      message: 'secret ofauth/signing has no string value',
    });
  });
});

describe('fixed secrets, for tests and local tools', () => {
  it('serves the secrets they were given, and never refreshes', async () => {
    const secrets = new StaticSigningSecrets(['whsec_a', 'plain']);
    expect(await secrets.current()).toEqual(['whsec_a', 'plain']);
    expect(await secrets.refresh()).toBeUndefined();
  });
});
