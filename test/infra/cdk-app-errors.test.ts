/**
 * The CDK app as `npx cdk synth` runs it (`cdk.json`: `npx tsx --conditions=ofauth-receiver-source
 * bin/app.ts`, so the package's own name resolves to its sources; context in
 * `CDK_CONTEXT_JSON`), given bad context values: what the user sees on the terminal.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

const run = promisify(execFile);

async function synth(context: Record<string, unknown>) {
  const outdir = await mkdtemp(join(tmpdir(), 'ofauth-cdk-out-'));
  try {
    await run(process.execPath, ['--import', 'tsx', '--conditions=ofauth-receiver-source', 'bin/app.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

describe('the CDK app with bad context', () => {
  it('fails with one line per bad value, exit 1 and no stack trace', async () => {
    // GIVEN `npx cdk synth -c removalPolicy=delete -c tracing=yes`
    // WHEN the app runs
    const { code, stderr } = await synth({ removalPolicy: 'delete', tracing: 'yes' });
    // THEN it names both values, one line each, and nothing else
    expect(code).toBe(1);
    expect(stderr).toBe(
      'error: context removalPolicy must be retain or destroy, got "delete"\n' +
        'error: context tracing must be true or false, got "yes"\n',
    );
  }, 60_000);

  it('fails without a stack trace on a value the construct refuses', async () => {
    // GIVEN a memory size Lambda does not offer
    const { code, stderr } = await synth({ verifierMemorySize: '64' });
    // THEN one line names it, exit 1
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: .*verifierMemorySize.*64.*\n$/);
  }, 60_000);
});
