/**
 * Signing secrets on a developer machine: read from `OFAUTH_WEBHOOK_SECRET`, or a development
 * secret generated once and kept in the git-ignored `.local/` folder, so that `npm start` and the
 * CLI in a second terminal agree without copying anything.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The environment variable holding one or more signing secrets. */
export const SECRET_ENV_VAR = 'OFAUTH_WEBHOOK_SECRET';

/** The repository root, found from this file so that the CLI works from any folder. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the development secret is kept (git-ignored) unless {@link DEV_SECRET_FILE_ENV_VAR} says otherwise. */
export const DEV_SECRET_FILE = resolve(REPO_ROOT, '.local', 'dev-signing-secret');

/**
 * The environment variable that moves the development secret's file, read by `npm start` and the
 * CLI alike: e.g. for a read-only checkout, or for tests that must not touch a developer's secret.
 */
export const DEV_SECRET_FILE_ENV_VAR = 'OFAUTH_DEV_SECRET_FILE';

/**
 * The file holding the development secret: `$OFAUTH_DEV_SECRET_FILE` (relative to the working
 * folder) when set, else {@link DEV_SECRET_FILE}.
 *
 * @example
 * devSecretFile({}); // <repo>/.local/dev-signing-secret
 */
export function devSecretFile(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const configured = env[DEV_SECRET_FILE_ENV_VAR]?.trim();
  return configured ? resolve(configured) : DEV_SECRET_FILE;
}

/**
 * Splits a list of secrets separated by commas and/or whitespace, as `OFAUTH_WEBHOOK_SECRET` takes
 * them (several during a rotation).
 *
 * @example
 * parseSecretList('whsec_a, whsec_b'); // ['whsec_a', 'whsec_b']
 */
export function parseSecretList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((secret) => secret.trim())
    .filter(Boolean);
}

/**
 * A new development secret in Svix's format (`whsec_` + base64 of 24 random bytes). One secret
 * serves both schemes: Svix signs with its decoded bytes, `OFAuth-Signature` with the string.
 */
export function generateDevSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The development secret (see {@link devSecretFile}), or undefined when none was generated yet. */
export async function readDevSecret(file = devSecretFile()): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  return parseSecretList(await readFile(file, 'utf8'))[0];
}

/**
 * The development secret (see {@link devSecretFile}), generated and saved (mode 0600) on first use.
 *
 * @returns the secret, and whether it was generated now
 */
export async function loadOrCreateDevSecret(
  file = devSecretFile(),
): Promise<{ readonly secret: string; readonly generated: boolean }> {
  const existing = await readDevSecret(file);
  if (existing) return { secret: existing, generated: false };
  const secret = generateDevSecret();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return { secret, generated: true };
}
