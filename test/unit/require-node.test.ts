/**
 * The Node.js version check that `npm start`, `npm test`, `npm run cli` and `npm run bench` preload
 * (`local/require-node.mjs`), run as those scripts run it, in a process that reports another version.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

const run = promisify(execFile);

/** Runs `node --import <fake version> --import ./local/require-node.mjs -e …` as Node `version`. */
async function nodeReporting(version: string) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '--import',
        './test/support/fake-node-version.mjs',
        '--import',
        './local/require-node.mjs',
        '-e',
        'console.log("the script ran")',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, FAKE_NODE_VERSION: version } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the Node.js version check', () => {
  it.each(['20.11.1', '22.22.2', '24.14.0', '18.20.0', '8.17.0'])(
    'rejects Node %s before the script runs: one line with the version needed, the one found, and nvm use',
    async (version) => {
      const { code, stdout, stderr } = await nodeReporting(version);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `error: this project needs Node.js 24.15 or later, found ${version}; run \`nvm use\` to switch to the version in .nvmrc\n`,
      );
    },
  );

  it.each(['24.15.0', '24.21.0', '26.0.0', '100.0.0'])('lets Node %s run the script', async (version) => {
    const { code, stdout, stderr } = await nodeReporting(version);
    expect(code).toBe(0);
    expect(stdout).toBe('the script ran\n');
    expect(stderr).toBe('');
  });

  it('is preloaded by every script that needs the newer Node', async () => {
    const { scripts, engines } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(engines.node).toBe('>=24.15');
    for (const name of ['start', 'test', 'cli', 'bench']) {
      expect(scripts[name]).toMatch(/^(exec )?node --import \.\/local\/require-node\.mjs /);
    }
  });
});
