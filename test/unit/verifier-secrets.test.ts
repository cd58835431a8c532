import { DependencyError } from '../../lambda/verifier/errors.ts';
import { CachedSigningSecrets, parseSigningSecrets } from '../../lambda/verifier/secrets.ts';

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
  });
});
