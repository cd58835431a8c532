/**
 * What a function evaluates when Lambda loads it (its cold start): each entry is imported in a
 * fresh Node.js process, with a resolve hook recording every module resolved on the way.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

const run = promisify(execFile);

/** What a cold start resolved: the packages, and our own modules (repository-relative paths). */
interface LoadedModules {
  readonly packages: string[];
  readonly sources: string[];
}

/** Imports `entry` in a fresh process and answers the modules resolved while it loaded. */
async function modulesLoadedBy(entry: string, env: Record<string, string>): Promise<LoadedModules> {
  const probe = `
    import { registerHooks } from 'node:module';
    const packages = new Set();
    const sources = new Set();
    const root = ${JSON.stringify(pathToFileURL(`${REPO_ROOT}/`).href)};
    registerHooks({
      resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(resolved.url);
        if (match) packages.add(match[1]);
        else if (resolved.url.startsWith(root)) sources.add(resolved.url.slice(root.length));
        return resolved;
      },
    });
    await import(${JSON.stringify(join(REPO_ROOT, entry))});
    process.stdout.write(JSON.stringify({ packages: [...packages].sort(), sources: [...sources].sort() }));`;
  const { stdout } = await run(
    process.execPath,
    ['--conditions=ofauth-receiver-source', '--import', 'tsx', '--input-type=module', '-e', probe],
    { cwd: REPO_ROOT, env: { ...process.env, AWS_REGION: 'us-east-1', ...env } },
  );
  return JSON.parse(stdout) as LoadedModules;
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
    const { packages } = await modulesLoadedBy('lambda/processor/handler.ts', env);
    // THEN the clients of every invocation load, the S3 client does not
    expect(packages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/client-firehose']),
    );
    expect(packages).not.toContain('@aws-sdk/client-s3');
  }, 30_000);
});

describe('the verifier at cold start', () => {
  it("builds the envelope schemas only, none of the schemas of an event type's data", async () => {
    // GIVEN the deployed configuration
    const env = {
      SIGNING_SECRET_ID: 'ofauth/signing',
      PROCESSED_EVENTS_TABLE_NAME: 'records',
      QUEUE_URL: 'http://127.0.0.1:1/000000000000/events.fifo',
      DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/events-dlq.fifo',
    };
    // WHEN Lambda loads the verifier's entry
    const { packages, sources } = await modulesLoadedBy('lambda/verifier/handler.ts', env);
    // THEN it parses envelopes, and never loads the module whose schemas check `data` (the
    // processor's): building them was half of the zod work of the verifier's cold start
    expect(packages).toContain('zod');
    expect(sources).toContain('lambda/shared/envelope.ts');
    expect(sources).not.toContain('lambda/shared/event-model.ts');
  }, 30_000);
});
