/**
 * What a function evaluates when Lambda loads it (its cold start): each entry is imported in a
 * fresh Node.js process, with a resolve hook recording every module resolved on the way.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

const run = promisify(execFile);

/** Imports `entry` in a fresh process and answers the packages resolved while it loaded. */
async function packagesLoadedBy(entry: string, env: Record<string, string>): Promise<string[]> {
  const probe = `
    import { registerHooks } from 'node:module';
    const packages = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(resolved.url);
        if (match) packages.add(match[1]);
        return resolved;
      },
    });
    await import(${JSON.stringify(join(REPO_ROOT, entry))});
    process.stdout.write(JSON.stringify([...packages].sort()));`;
  const { stdout } = await run(
    process.execPath,
    ['--conditions=ofauth-receiver-source', '--import', 'tsx', '--input-type=module', '-e', probe],
    { cwd: REPO_ROOT, env: { ...process.env, AWS_REGION: 'us-east-1', ...env } },
  );
  return JSON.parse(stdout) as string[];
}

describe('the processor at cold start', () => {
  it('leaves the S3 client unevaluated: deployed, only an oversize archive line needs it', async () => {
    // GIVEN the deployed configuration: archive through Firehose, S3 for long lines
    const env = {
      CONNECTIONS_TABLE_NAME: 'connections',
      ARCHIVE_BUCKET_NAME: 'archive',
      ARCHIVE_STREAM_NAME: 'archive-stream',
    };
    // WHEN Lambda loads the processor's entry
    const packages = await packagesLoadedBy('lambda/processor/handler.ts', env);
    // THEN the clients of every invocation load, the S3 client does not
    expect(packages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/client-firehose']),
    );
    expect(packages).not.toContain('@aws-sdk/client-s3');
  }, 30_000);
});
