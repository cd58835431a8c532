/**
 * The bundles bench (bench/bundles.ts) compares each function's bundle with a bare bundle of
 * exactly the SDK clients the function uses: the comparison is fair only if the two carry the
 * same clients.
 */
import { build } from 'esbuild';
import { FUNCTIONS, firstOfPair } from '../../bench/bundles.ts';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

/** The `@aws-sdk/client-*` packages an esbuild bundle of `source` (or `entry`) carries. */
async function sdkClientsIn(input: { entry: string } | { source: string }): Promise<string[]> {
  const result = await build({
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    mainFields: ['module', 'main'],
    outfile: 'bundle.mjs',
    ...('entry' in input
      ? { entryPoints: [input.entry] }
      : { stdin: { contents: input.source, resolveDir: REPO_ROOT, loader: 'ts' } }),
  });
  const clients = new Set<string>();
  for (const path of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\//.exec(path);
    if (match) clients.add(match[1]!);
  }
  return [...clients].sort();
}

describe('the bundles bench', () => {
  it.each(FUNCTIONS.map((fn) => [fn.name, fn] as const))(
    'compares the %s with a bare bundle of exactly the SDK clients it carries',
    async (_name, fn) => {
      // GIVEN the function's bundle and its bare bundle, built alike
      const [function_, bare] = await Promise.all([
        sdkClientsIn({ entry: fn.entry }),
        sdkClientsIn({ source: fn.bareSource }),
      ]);
      // THEN they carry the same SDK clients
      expect(function_.length).toBeGreaterThan(0);
      expect(bare).toEqual(function_);
    },
    60_000,
  );
});

describe('the bundles bench load order', () => {
  it('loads the bundle first in one round and its bare bundle first in the next', () => {
    // GIVEN four rounds
    // WHEN each picks which of its pair loads first
    const order = [0, 1, 2, 3].map(firstOfPair);
    // THEN each side goes first in half of them, so that neither is always the one loaded second
    expect(order).toEqual(['bundle', 'bare', 'bundle', 'bare']);
  });
});
