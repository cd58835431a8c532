/**
 * Which Node.js runtime the functions run on. cdk-nag's AwsSolutions-L1 wants the newest runtime
 * the consumer's aws-cdk-lib knows, so a pinned runtime fails a consumer's synth as soon as a
 * newer aws-cdk-lib adds one. The receiver takes the newest runtime that aws-cdk-lib offers among
 * those its code is tested on, looking each up by name at synth time: an older aws-cdk-lib
 * simply has no `NODEJS_26_X`, and `new Runtime('nodejs26.x')` is never made up for it (that
 * would add a runtime the library does not know to `Runtime.ALL`).
 */
import { Runtime } from 'aws-cdk-lib/aws-lambda';

/**
 * The `Runtime` members the functions are tested on, newest first. When a Node.js release comes
 * to Lambda, the package test (newest aws-cdk-lib) fails on AwsSolutions-L1; the new member is
 * added here once the suites pass on that Node.js version.
 */
export const TESTED_NODE_RUNTIMES = ['NODEJS_26_X', 'NODEJS_24_X'] as const;

/** A name of {@link TESTED_NODE_RUNTIMES}. */
export type TestedNodeRuntime = (typeof TESTED_NODE_RUNTIMES)[number];

/** The runtimes an aws-cdk-lib offers by those names; an older one lacks the newer members. */
export type OfferedRuntimes = Partial<Record<TestedNodeRuntime, Runtime>>;

/**
 * The newest of {@link TESTED_NODE_RUNTIMES} that `offered` (the consumer's `Runtime` class)
 * has.
 */
export function newestTestedRuntime(offered: OfferedRuntimes = Runtime): Runtime {
  for (const name of TESTED_NODE_RUNTIMES) {
    const runtime = offered[name];
    if (runtime) return runtime;
  }
  throw new Error(
    `aws-cdk-lib offers none of the Node.js runtimes the receiver is tested on (${TESTED_NODE_RUNTIMES.join(', ')})`,
  );
}

/** The esbuild target of a Node.js runtime (`nodejs26.x` → `node26`), so bundles follow the runtime. */
export function esbuildTarget(runtime: Runtime): string {
  const major = /^nodejs(\d+)/.exec(runtime.name)?.[1];
  if (!major) throw new Error(`runtime must be a Node.js runtime, got ${runtime.name}`);
  return `node${major}`;
}
