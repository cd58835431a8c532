/**
 * Lambda bundle size and cold module-load time. Each function is bundled with esbuild the way
 * the stack's `NodejsFunction` bundles it, next to a "bare" bundle that only imports and
 * constructs the AWS SDK clients that function uses: the floor a function cannot go below.
 * Load time is measured in a fresh `node` process per sample (no module cache, no JIT warmth),
 * variants interleaved so that machine noise hits them alike; the median is reported.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import {
  type EnvironmentOf,
  PROCESSOR_ENVIRONMENT as P,
  POWERTOOLS_ENVIRONMENT,
  VERIFIER_ENVIRONMENT as V,
} from '../lambda/shared/deployment-names.ts';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../lambda/shared/metrics.ts';
import { median } from './lib/stats.ts';

const ROOT = resolve(import.meta.dirname, '..');
/**
 * Inside node_modules so that external `@aws-sdk/*` imports resolve as in the Lambda runtime; one
 * directory per checkout, since git worktrees may share one node_modules and run the bench at once.
 */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'ofauth-bench', basename(ROOT), 'bundles');

/** The banner NodejsFunction adds to ESM bundles so that bundled CommonJS can still `require`. */
export const CREATE_REQUIRE_BANNER =
  "import{createRequire}from'node:module';const require=createRequire(import.meta.url);";

/** One way of bundling, named for the report. */
export interface BundlingVariant {
  readonly name: string;
  /** Packages left out of the bundle (resolved at run time from the Lambda runtime's own SDK). */
  readonly external: readonly string[];
  readonly minify: boolean;
  readonly mainFields?: readonly string[];
}

/** The stack's bundling, mirroring `BUNDLING` in `lib/webhook-receiver.ts` (`bundleAwsSDK: true`, no externals). */
export const STACK_BUNDLING: BundlingVariant = {
  name: 'stack (ESM, minified, SDK bundled)',
  external: [],
  minify: true,
  mainFields: ['module', 'main'],
};

/** What a function is, for bundling: its entry and the SDK clients it constructs. */
export interface FunctionUnderTest {
  readonly name: 'verifier' | 'processor';
  readonly entry: string;
  /** The bare bundle's source: imports and constructs the same SDK clients, nothing else. */
  readonly bareSource: string;
  /** Environment the module needs at load time (configuration is read once at start-up). */
  readonly env: Record<string, string>;
  /**
   * Other sources built and loaded beside the function in the same rounds, to measure one change
   * side by side (e.g. the function as it was before a module became lazy).
   */
  readonly ablations?: ReadonlyArray<{ readonly name: string; readonly source: string }>;
}

const COMMON_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_EC2_METADATA_DISABLED: 'true',
  [POWERTOOLS_ENVIRONMENT.metricsNamespace]: METRICS_NAMESPACE,
  [POWERTOOLS_ENVIRONMENT.logLevel]: 'INFO',
};

const VERIFIER_BARE_SOURCE = [
  "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
  "import { SQSClient } from '@aws-sdk/client-sqs';",
  'const clients = [new SecretsManagerClient({}), new DynamoDBClient({}), new SQSClient({})];',
  'export const handler = async () => clients.length;',
].join('\n');

/** The two functions of the stack. */
export const FUNCTIONS: readonly FunctionUnderTest[] = [
  {
    name: 'verifier',
    entry: join(ROOT, 'lambda', 'verifier', 'handler.ts'),
    bareSource: VERIFIER_BARE_SOURCE,
    env: {
      ...COMMON_ENV,
      [V.serviceName]: SERVICE_NAMES.verifier,
      [V.signingSecretId]: 'ofauth/signing',
      [V.processedEventsTableName]: 'bench-records',
      [V.queueUrl]: 'http://127.0.0.1:1/000000000000/bench-events.fifo',
      [V.deadLetterQueueUrl]: 'http://127.0.0.1:1/000000000000/bench-events-dlq.fifo',
    } satisfies EnvironmentOf<typeof V>,
    ablations: [
      {
        // The bare bundle against itself: how far the run's noise moves a ratio that is 1.
        name: "verifier, its bare bundle against itself (the run's noise)",
        source: VERIFIER_BARE_SOURCE,
      },
      {
        // As before the envelope had its own module (lambda/shared/envelope.ts): the schemas of
        // every event type's `data` built at load, though the verifier never checks `data`.
        name: 'verifier, data schemas built at load (as before)',
        source: [
          `export { handler } from ${JSON.stringify(join(ROOT, 'lambda', 'verifier', 'handler.ts'))};`,
          `import { EVENT_DATA_SCHEMAS } from ${JSON.stringify(join(ROOT, 'lambda', 'shared', 'event-model.ts'))};`,
          'globalThis.benchEagerDataSchemas = EVENT_DATA_SCHEMAS;',
        ].join('\n'),
      },
    ],
  },
  {
    name: 'processor',
    entry: join(ROOT, 'lambda', 'processor', 'handler.ts'),
    bareSource: [
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
      "import { SQSClient } from '@aws-sdk/client-sqs';",
      "import { FirehoseClient } from '@aws-sdk/client-firehose';",
      "import { S3Client } from '@aws-sdk/client-s3';",
      "import { EventBridgeClient } from '@aws-sdk/client-eventbridge';",
      'const clients = [',
      '  DynamoDBDocumentClient.from(new DynamoDBClient({})),',
      '  new SQSClient({}),',
      '  new FirehoseClient({}),',
      '  new S3Client({}),',
      '  new EventBridgeClient({}),',
      '];',
      'export const handler = async () => clients.length;',
    ].join('\n'),
    env: {
      ...COMMON_ENV,
      [P.serviceName]: SERVICE_NAMES.processor,
      [P.connectionsTableName]: 'bench-connections',
      // The deployed defaults: archive and processed-events record on.
      [P.archiveBucketName]: 'bench-archive',
      [P.archiveStreamName]: 'bench-archive-stream',
      [P.processedEventsTableName]: 'bench-processed-events',
      [P.deadLetterQueueUrl]: 'http://127.0.0.1:1/000000000000/bench-events-dlq.fifo',
    } satisfies EnvironmentOf<typeof P>,
    ablations: [
      {
        // As before the S3 client was imported on first use (lambda/processor/archive-writers.ts).
        name: 'processor, S3 client evaluated at load (as before)',
        source: [
          `export { handler } from ${JSON.stringify(join(ROOT, 'lambda', 'processor', 'handler.ts'))};`,
          "import { S3Client } from '@aws-sdk/client-s3';",
          'globalThis.benchEagerS3 = S3Client;',
        ].join('\n'),
      },
    ],
  },
];

function esbuildOptions(variant: BundlingVariant): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: variant.minify,
    treeShaking: true,
    external: [...variant.external],
    ...(variant.mainFields && { mainFields: [...variant.mainFields] }),
    banner: { js: CREATE_REQUIRE_BANNER },
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
    metafile: true,
  };
}

/** A built bundle. */
export interface BuiltBundle {
  readonly file: string;
  readonly bytes: number;
  /** The largest inputs by bytes in the output, to show where the size goes. */
  readonly topInputs: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
}

async function buildBundle(
  fn: FunctionUnderTest,
  variant: BundlingVariant,
  kind: 'function' | 'bare' | { readonly name: string; readonly source: string },
): Promise<BuiltBundle> {
  const label = typeof kind === 'string' ? kind : kind.name;
  const dir = join(OUT_DIR, `${fn.name}-${label}-${variant.name}`.replace(/[^a-z0-9]+/gi, '-'));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  const result = await build({
    ...esbuildOptions(variant),
    outfile: file,
    ...(kind === 'function'
      ? { entryPoints: [fn.entry] }
      : {
          stdin: {
            contents: kind === 'bare' ? fn.bareSource : kind.source,
            resolveDir: ROOT,
            loader: 'ts',
            sourcefile: `${fn.name}-${kind === 'bare' ? 'bare' : 'ablation'}.ts`,
          },
        }),
  });
  const output = Object.values(result.metafile?.outputs ?? {})[0];
  const byPackage = new Map<string, number>();
  for (const [path, info] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = match ? match[1]! : path.startsWith('lambda/') ? 'lambda/ (our code)' : path;
    byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
  }
  const topInputs = [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([path, bytes]) => ({ path, bytes }));
  return { file, bytes: (await stat(file)).size, topInputs };
}

/** Loads a module in a fresh process; resolves the milliseconds `import()` took and the process's wall time. */
function loadOnce(
  file: string,
  env: Record<string, string>,
): Promise<{ importMs: number; importCpuMs: number; processMs: number }> {
  // CPU time as well as wall time: on a shared machine, waiting for a core inflates the wall time
  // of whichever sample was unlucky; the CPU the import spent is what the bundle costs.
  const script = `const c0 = process.cpuUsage(); const t0 = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(file).href)}); const ms = performance.now() - t0; const c = process.cpuUsage(c0); if (typeof m.handler !== 'function') throw new Error('no handler export'); process.stdout.write(JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000 }));`;
  return new Promise((resolveLoad, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const processMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) {
        reject(new Error(`loading ${file} failed (exit ${code}): ${err.slice(0, 2000)}`));
        return;
      }
      const { ms, cpuMs } = JSON.parse(out) as { ms: number; cpuMs: number };
      resolveLoad({ importMs: ms, importCpuMs: cpuMs, processMs });
    });
  });
}

/** Size and load time of one bundle. */
export interface BundleMeasurement extends BuiltBundle {
  readonly importMsMedian: number;
  /** Median CPU milliseconds of the `import()` (user + system): what the comparison uses. */
  readonly importCpuMsMedian: number;
  readonly processMsMedian: number;
  readonly samples: number;
}

/** One function under one bundling variant, beside its bare SDK-clients bundle. */
export interface BundleComparison {
  readonly function: string;
  readonly variant: string;
  readonly bundle: BundleMeasurement;
  readonly bare: BundleMeasurement;
}

/**
 * Which of a pair loads first in a round: the bundle in even rounds, its bare bundle in odd ones,
 * so that whatever going first or second does falls on both alike (with the bundle always first,
 * the bare bundle against itself came out at 1.04× by the median of each round's ratio).
 */
export function firstOfPair(round: number): 'bundle' | 'bare' {
  return round % 2 === 0 ? 'bundle' : 'bare';
}

/**
 * Builds and measures every function under every variant, with `samples` fresh processes per
 * bundle.
 */
export async function measureBundles(
  variants: readonly BundlingVariant[],
  samples: number,
  log: (line: string) => void = () => {},
): Promise<BundleComparison[]> {
  const jobs: Array<{
    fn: FunctionUnderTest;
    name: string;
    variant: BundlingVariant;
    bundle: BuiltBundle;
    bare: BuiltBundle;
  }> = [];
  for (const [index, variant] of variants.entries()) {
    for (const fn of FUNCTIONS) {
      const [bundle, bare] = await Promise.all([
        buildBundle(fn, variant, 'function'),
        buildBundle(fn, variant, 'bare'),
      ]);
      jobs.push({ fn, name: fn.name, variant, bundle, bare });
      // Ablations under the first (the stack's) bundling only.
      for (const ablation of index === 0 ? (fn.ablations ?? []) : [])
        jobs.push({
          fn,
          name: ablation.name,
          variant,
          bundle: await buildBundle(fn, variant, ablation),
          bare,
        });
    }
  }
  const times = jobs.map(() => ({
    bundle: [] as number[],
    bare: [] as number[],
    bundleCpu: [] as number[],
    bareCpu: [] as number[],
    bundleP: [] as number[],
    bareP: [] as number[],
  }));
  // Interleaved rounds: machine noise (other processes on 2 cores) hits every variant alike.
  for (let round = 0; round < samples; round += 1) {
    for (const [index, job] of jobs.entries()) {
      let a: Awaited<ReturnType<typeof loadOnce>>;
      let b: Awaited<ReturnType<typeof loadOnce>>;
      if (firstOfPair(round) === 'bundle') {
        a = await loadOnce(job.bundle.file, job.fn.env);
        b = await loadOnce(job.bare.file, job.fn.env);
      } else {
        b = await loadOnce(job.bare.file, job.fn.env);
        a = await loadOnce(job.bundle.file, job.fn.env);
      }
      times[index]!.bundle.push(a.importMs);
      times[index]!.bundleCpu.push(a.importCpuMs);
      times[index]!.bareCpu.push(b.importCpuMs);
      times[index]!.bundleP.push(a.processMs);
      times[index]!.bare.push(b.importMs);
      times[index]!.bareP.push(b.processMs);
    }
    log(`  bundles: load round ${round + 1}/${samples}`);
  }
  return jobs.map((job, index) => ({
    function: job.name,
    variant: job.variant.name,
    bundle: {
      ...job.bundle,
      importMsMedian: median(times[index]!.bundle),
      importCpuMsMedian: median(times[index]!.bundleCpu),
      processMsMedian: median(times[index]!.bundleP),
      samples,
    },
    bare: {
      ...job.bare,
      importMsMedian: median(times[index]!.bare),
      importCpuMsMedian: median(times[index]!.bareCpu),
      processMsMedian: median(times[index]!.bareP),
      samples,
    },
  }));
}

/** Writes nothing; documents where {@link STACK_BUNDLING} comes from, for the report. */
export function describeStackBundling(): string {
  return 'esbuild: bundle, platform node, target node24, format esm, minify, tree shaking, mainFields module,main, createRequire banner';
}

const DOC_BEGIN = '<!-- bundle-figures:begin (written by `npm run bench -- --only bundles`) -->';
const DOC_END = '<!-- bundle-figures:end -->';

/** The bundles table docs/performance.md shows, with the run's date and the 1.10× target. */
export function renderBundleFigures(
  bundles: readonly BundleComparison[],
  date: Date,
  machine: string,
): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const rows = bundles.map((b) => {
    const ratio = b.bundle.importCpuMsMedian / b.bare.importCpuMsMedian;
    const target = b.variant === STACK_BUNDLING.name && !b.function.includes(',') ? '≤ 1.10×' : '';
    return `| ${b.function} | ${b.variant} | ${kb(b.bundle.bytes)} | ${kb(b.bare.bytes)} | ${b.bundle.importCpuMsMedian.toFixed(1)} | ${b.bare.importCpuMsMedian.toFixed(1)} | ${ratio.toFixed(2)}× | ${b.bundle.importMsMedian.toFixed(0)} / ${b.bare.importMsMedian.toFixed(0)} | ${target} |`;
  });
  return [
    `Run of ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}, ${bundles[0]?.bundle.samples ?? 0} fresh processes per bundle, interleaved, each of a pair first in every other round; medians.`,
    '',
    '| function | bundling | size | bare size | load CPU ms | bare load CPU ms | load ÷ bare (CPU) | wall ms, bundle / bare | target |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

/** The doc's text with the bundles block replaced. */
export function withBundleFigures(markdown: string, figures: string): string {
  const begin = markdown.indexOf(DOC_BEGIN);
  const end = markdown.indexOf(DOC_END);
  if (begin < 0 || end < begin) throw new Error(`docs/performance.md has no ${DOC_BEGIN} … ${DOC_END} block`);
  return `${markdown.slice(0, begin + DOC_BEGIN.length)}\n${figures}\n${markdown.slice(end)}`;
}
