/**
 * `npm ci` on a Node.js older than package.json's `engines` stops at once (`.npmrc`:
 * `engine-strict=true`) instead of installing with a warning per package and failing later. Run
 * as a dry run in a copy of the repository's manifest, lock file and `.npmrc`, in a process that
 * reports another Node.js version, so nothing is downloaded or installed.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

const run = promisify(execFile);
let copy: string;

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'ofauth-engines-'));
  for (const file of ['package.json', 'package-lock.json', '.npmrc']) {
    copyFileSync(join(REPO_ROOT, file), join(copy, file));
  }
  // npm reads process.version (not process.versions) when it checks engines.
  writeFileSync(
    join(copy, 'fake-node.mjs'),
    [
      'const v = process.env.FAKE_NODE_VERSION;',
      "Object.defineProperty(process, 'version', { value: 'v' + v });",
      "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: v } });",
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** `npm ci --dry-run` in the copy, as Node `version` (or the real one). */
async function npmCi(version?: string) {
  const inherited = Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_'));
  const env = {
    ...Object.fromEntries(inherited),
    ...(version && { NODE_OPTIONS: `--import ${join(copy, 'fake-node.mjs')}`, FAKE_NODE_VERSION: version }),
  };
  try {
    const { stdout, stderr } = await run('npm', ['ci', '--dry-run', '--no-audit', '--no-fund'], {
      cwd: copy,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm ci and package.json engines', () => {
  it.each(['20.11.1', '22.22.2', '24.14.0'])(
    'fails at once on Node %s, saying which Node.js is required',
    async (version) => {
      const { code, stdout, stderr } = await npmCi(version);
      expect(code).toBe(1);
      expect(stderr).toContain('npm error code EBADENGINE');
      expect(stderr).toContain('npm error notsup Required: {"node":">=24.15"}');
      expect(stderr.split('\n').length).toBeLessThan(12);
      expect(stdout).not.toMatch(/^add /m);
      expect(existsSync(join(copy, 'node_modules'))).toBe(false);
    },
    60_000,
  );

  it('installs on the Node.js running the tests, whose version engines allow', async () => {
    const { code, stdout } = await npmCi();
    expect(code).toBe(0);
    expect(stdout).toMatch(/added \d+ packages/);
  }, 60_000);
});
