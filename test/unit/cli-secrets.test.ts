import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDevSecret, parseSecretList } from '../../dev/signing-secrets.ts';

describe('signing secrets on a developer machine', () => {
  it('splits OFAUTH_WEBHOOK_SECRET on commas and whitespace', () => {
    expect(parseSecretList(' whsec_a, whsec_b\nwhsec_c  ,,')).toEqual(['whsec_a', 'whsec_b', 'whsec_c']);
    expect(parseSecretList(undefined)).toEqual([]);
    expect(parseSecretList('  ')).toEqual([]);
  });

  it('generates a development secret once, private to the user, and reuses it', async () => {
    // GIVEN no development secret yet
    const dir = await mkdtemp(join(tmpdir(), 'ofauth-secret-'));
    const file = join(dir, '.local', 'dev-signing-secret');
    try {
      // WHEN it is asked for twice
      const first = await loadOrCreateDevSecret(file);
      const second = await loadOrCreateDevSecret(file);
      // THEN the first call generates a whsec_ secret with 24 random bytes, kept with mode 0600,
      // and the second reuses it
      expect(first.generated).toBe(true);
      expect(first.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(second).toEqual({ secret: first.secret, generated: false });
      expect((await readFile(file, 'utf8')).trim()).toBe(first.secret);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
