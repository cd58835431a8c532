/**
 * Where the functions' code is, and how esbuild bundles it, wherever this package runs from:
 *
 * - from the repository (TypeScript sources, run by tsx or jest): the entries are the `.ts` files,
 *   bundling uses the repository's lock file, and imports of the package by its own name resolve to
 *   the sources through the `ofauth-receiver-source` export condition;
 * - installed from npm (compiled `dist/`): the entries are the compiled `.js` files inside the
 *   package, and CDK finds the consumer's own lock file from the directory `cdk` runs in, as for
 *   any `NodejsFunction`. Pass `depsLockFilePath` (and `projectRoot`) in the function overrides
 *   when the app has no lock file there.
 */
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The export condition that maps the package's own name to its TypeScript sources. */
export const SOURCE_CONDITION = 'ofauth-receiver-source';

const RUNNING_FROM_SOURCES = import.meta.url.endsWith('.ts');
const EXTENSION = RUNNING_FROM_SOURCES ? 'ts' : 'js';

/** The receiver's own function entries, relative to the package root (sources) or `dist/`. */
export type FunctionEntry = 'verifier/handler' | 'processor/handler';

/** The absolute path of a function's entry, next to this module's own copy of `lambda/`. */
export function functionEntry(entry: FunctionEntry): string {
  return fileURLToPath(new URL(`../../lambda/${entry}.${EXTENSION}`, import.meta.url));
}

/**
 * Local esbuild bundling (no Docker): ESM, minified, the AWS SDK bundled and tree-shaken rather
 * than loaded from the runtime, so the code runs against the SDK version it was tested with. The
 * target follows each function's runtime (see `runtime.ts`).
 */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: false,
  mainFields: ['module', 'main'],
  bundleAwsSDK: true,
  externalModules: [],
  logLevel: LogLevel.ERROR,
  // Bundled CommonJS dependencies still call require(); an ESM bundle has to provide it.
  banner: "import{createRequire}from'node:module';const require=createRequire(import.meta.url);",
  forceDockerBundling: false,
  // esbuild drops its implicit `module` condition once conditions are given, so it is restated.
  ...(RUNNING_FROM_SOURCES && { esbuildArgs: { '--conditions': `${SOURCE_CONDITION},module` } }),
};

/** The repository root, when running from the sources; bundling resolves the lock file from it. */
export function repositoryLocation(): { projectRoot: string; depsLockFilePath: string } | undefined {
  if (!RUNNING_FROM_SOURCES) return undefined;
  return {
    projectRoot: fileURLToPath(new URL('../..', import.meta.url)),
    depsLockFilePath: fileURLToPath(new URL('../../package-lock.json', import.meta.url)),
  };
}
