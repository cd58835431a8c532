/**
 * Lambda bundle size and cold module-load time. Each function is bundled with esbuild the way
 * the stack's `NodejsFunction` bundles it, next to a "bare" bundle that only imports and
 * constructs the AWS SDK clients that function uses: the floor a function cannot go below.
 * Load time is measured in a fresh `node` process per sample (no module cache, no JIT warmth),
 * variants interleaved so that machine noise hits them alike; the median is reported. When
 * `valgrind` is on PATH, each bundle's import is also counted in instructions (callgrind, one run
 * each, less an empty module's import): unlike CPU time on a shared machine, the count repeats.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
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

/** The script a fresh `node` runs to import a bundle: the same for timing and for counting instructions. */
function importScript(file: string): string {
  // CPU time as well as wall time: on a shared machine, waiting for a core inflates the wall time
  // of whichever sample was unlucky; the CPU the import spent is what the bundle costs.
  return `const c0 = process.cpuUsage(); const t0 = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(file).href)}); const ms = performance.now() - t0; const c = process.cpuUsage(c0); if (typeof m.handler !== 'function') throw new Error('no handler export'); process.stdout.write(JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000 }));`;
}

/** Runs a command with only `env` (and PATH); resolves its output and wall milliseconds, rejects on a non-zero exit. */
function run(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ out: string; err: string; ms: number }> {
  return new Promise((resolveRun, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
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
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolveRun({ out, err, ms });
      else
        reject(new Error(`${basename(command)} ${args.at(-1)} failed (exit ${code}): ${err.slice(-2000)}`));
    });
  });
}

/** Loads a module in a fresh process; resolves the milliseconds `import()` took and the process's wall time. */
async function loadOnce(
  file: string,
  env: Record<string, string>,
): Promise<{ importMs: number; importCpuMs: number; processMs: number }> {
  const { out, ms } = await run(process.execPath, ['--input-type=module', '-e', importScript(file)], env);
  const { ms: importMs, cpuMs } = JSON.parse(out) as { ms: number; cpuMs: number };
  return { importMs, importCpuMs: cpuMs, processMs: ms };
}

/**
 * The instructions a callgrind run executed, from the summary it prints on stderr: the
 * "Collected :" total, or failing that the "I refs:" line (thousands separated by commas).
 */
export function parseCallgrindInstructions(output: string): number {
  const last = (pattern: RegExp) => [...output.matchAll(pattern)].at(-1)?.[1];
  const figure =
    last(/^(?:==\d+==)?[ \t]*Collected[ \t]*:[ \t]*([\d,]+)[ \t]*$/gm) ??
    last(/^(?:==\d+==)?[ \t]*I[ \t]+refs[ \t]*:[ \t]*([\d,]+)[ \t]*$/gm);
  if (!figure)
    throw new Error(
      `callgrind printed no instruction count (no "Collected :" or "I refs:" line); its output ended: ${output.slice(-500)}`,
    );
  return Number(figure.replaceAll(',', ''));
}

/**
 * Node's flags for a count that repeats: no worker threads (whose scheduling varies), and fixed
 * seeds for hashing and `Math.random`.
 */
const PREDICTABLE_NODE = ['--single-threaded', '--predictable', '--hash-seed=1', '--random-seed=1'];

/** The instructions a fresh `node` executes to start and import `file`, counted by callgrind. */
async function instructionsOnce(file: string, env: Record<string, string>): Promise<number> {
  const { err } = await run(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      ...PREDICTABLE_NODE,
      '--input-type=module',
      '-e',
      importScript(file),
    ],
    env,
  );
  return parseCallgrindInstructions(err);
}

/** Why instructions cannot be counted here, or `undefined` when `valgrind` runs. */
async function valgrindMissing(): Promise<string | undefined> {
  try {
    await run('valgrind', ['--version'], {});
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'valgrind is not on PATH' : `valgrind --version failed: ${String(error)}`;
  }
}

/** Size and load time of one bundle. */
export interface BundleMeasurement extends BuiltBundle {
  readonly importMsMedian: number;
  /** Median CPU milliseconds of the `import()` (user + system): what the comparison uses. */
  readonly importCpuMsMedian: number;
  readonly processMsMedian: number;
  readonly samples: number;
}

/**
 * Instructions of importing the bundle and its bare bundle in a fresh `node`, each less the
 * instructions of importing an empty module the same way (also given): one callgrind run each.
 */
export interface InstructionCounts {
  readonly bundle: number;
  readonly bare: number;
  readonly emptyModule: number;
}

/** One function under one bundling variant, beside its bare SDK-clients bundle. */
export interface BundleComparison {
  readonly function: string;
  readonly variant: string;
  readonly bundle: BundleMeasurement;
  readonly bare: BundleMeasurement;
  /**
   * Counted instructions, or why they were not counted (no valgrind).
   * @default not counted (results written before the bench counted instructions)
   */
  readonly instructions?: InstructionCounts | { readonly notMeasured: string };
}

/**
 * Which of a pair loads first in a round: the bundle in even rounds, its bare bundle in odd ones,
 * so that whatever going first or second does falls on both alike (with the bundle always first,
 * the bare bundle against itself came out at 1.04× by the median of each round's ratio).
 */
export function firstOfPair(round: number): 'bundle' | 'bare' {
  return round % 2 === 0 ? 'bundle' : 'bare';
}

/** A bundle and its bare bundle, measured side by side. */
interface BundleJob {
  readonly fn: FunctionUnderTest;
  readonly name: string;
  readonly variant: BundlingVariant;
  readonly bundle: BuiltBundle;
  readonly bare: BuiltBundle;
}

/** Builds every function and its bare bundle under every variant, and the ablations under the first. */
async function buildJobs(variants: readonly BundlingVariant[]): Promise<BundleJob[]> {
  const jobs: BundleJob[] = [];
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
  return jobs;
}

type LoadSamples = Record<'bundle' | 'bare', { ms: number[]; cpuMs: number[]; processMs: number[] }>;

/** Loads every job's pair `samples` times in interleaved rounds, each of a pair first in every other round. */
async function loadRounds(
  jobs: readonly BundleJob[],
  samples: number,
  log: (line: string) => void,
): Promise<LoadSamples[]> {
  const times = jobs.map(
    (): LoadSamples => ({
      bundle: { ms: [], cpuMs: [], processMs: [] },
      bare: { ms: [], cpuMs: [], processMs: [] },
    }),
  );
  // Interleaved rounds: machine noise (other processes on 2 cores) hits every variant alike.
  for (let round = 0; round < samples; round += 1) {
    for (const [index, job] of jobs.entries()) {
      const order =
        firstOfPair(round) === 'bundle' ? (['bundle', 'bare'] as const) : (['bare', 'bundle'] as const);
      for (const side of order) {
        const load = await loadOnce(job[side].file, job.fn.env);
        times[index]![side].ms.push(load.importMs);
        times[index]![side].cpuMs.push(load.importCpuMs);
        times[index]![side].processMs.push(load.processMs);
      }
    }
    log(`  bundles: load round ${round + 1}/${samples}`);
  }
  return times;
}

/**
 * Counts each job's pair in instructions, less an empty module's import under the same function's
 * environment; one run per distinct file, since the count repeats.
 */
async function countInstructions(
  jobs: readonly BundleJob[],
  log: (line: string) => void,
): Promise<Array<NonNullable<BundleComparison['instructions']>>> {
  const missing = await valgrindMissing();
  if (missing) {
    log(`  bundles: instructions not counted: ${missing}`);
    return jobs.map(() => ({ notMeasured: missing }));
  }
  const counted = new Map<string, number>();
  const count = async (file: string, env: Record<string, string>) => {
    if (!counted.has(file)) {
      log(`  bundles: counting instructions (callgrind) of ${basename(dirname(file))}`);
      counted.set(file, await instructionsOnce(file, env));
    }
    return counted.get(file)!;
  };
  const empties = new Map<string, BuiltBundle>();
  const results: Array<NonNullable<BundleComparison['instructions']>> = [];
  for (const job of jobs) {
    if (!empties.has(job.fn.name))
      empties.set(
        job.fn.name,
        await buildBundle(job.fn, STACK_BUNDLING, { name: 'empty module', source: EMPTY_MODULE }),
      );
    const emptyModule = await count(empties.get(job.fn.name)!.file, job.fn.env);
    const bundle = (await count(job.bundle.file, job.fn.env)) - emptyModule;
    const bare = (await count(job.bare.file, job.fn.env)) - emptyModule;
    results.push({ bundle, bare, emptyModule });
  }
  return results;
}

/** The empty module whose import is subtracted from each count: what starting `node` and importing costs. */
const EMPTY_MODULE = 'export const handler = async () => 0;';

/** A bundle's size and the medians of its samples. */
function measurement(built: BuiltBundle, times: LoadSamples['bundle'], samples: number): BundleMeasurement {
  return {
    ...built,
    importMsMedian: median(times.ms),
    importCpuMsMedian: median(times.cpuMs),
    processMsMedian: median(times.processMs),
    samples,
  };
}

/**
 * Builds and measures every function under every variant, with `samples` fresh processes per
 * bundle, and counts each bundle's instructions once when `valgrind` is on PATH.
 */
export async function measureBundles(
  variants: readonly BundlingVariant[],
  samples: number,
  log: (line: string) => void = () => {},
): Promise<BundleComparison[]> {
  const jobs = await buildJobs(variants);
  const times = await loadRounds(jobs, samples, log);
  const instructions = await countInstructions(jobs, log);
  return jobs.map((job, index) => ({
    function: job.name,
    variant: job.variant.name,
    bundle: measurement(job.bundle, times[index]!.bundle, samples),
    bare: measurement(job.bare, times[index]!.bare, samples),
    instructions: instructions[index]!,
  }));
}

/** Writes nothing; documents where {@link STACK_BUNDLING} comes from, for the report. */
export function describeStackBundling(): string {
  return 'esbuild: bundle, platform node, target node24, format esm, minify, tree shaking, mainFields module,main, createRequire banner';
}

const DOC_BEGIN = '<!-- bundle-figures:begin (written by `npm run bench -- --only bundles`) -->';
const DOC_END = '<!-- bundle-figures:end -->';

/** What results from before the bench counted instructions say in their place. */
const NOT_COUNTED = { notMeasured: 'the run did not count instructions' } as const;

/** Millions of instructions, one decimal. */
const millions = (instructions: number) => (instructions / 1e6).toFixed(1);

/** A comparison's instruction columns: millions for each, and their ratio, or why they are missing. */
export function instructionCells(comparison: BundleComparison): [string, string, string] {
  const counts = comparison.instructions ?? NOT_COUNTED;
  if ('notMeasured' in counts) return ['not measured', 'not measured', 'not measured'];
  return [millions(counts.bundle), millions(counts.bare), `${(counts.bundle / counts.bare).toFixed(3)}×`];
}

/** One sentence on how instructions were counted (and what was subtracted), or why they were not. */
export function instructionsNote(bundles: readonly BundleComparison[]): string {
  const counts = bundles.map((b) => b.instructions ?? NOT_COUNTED);
  const missing = counts.find((c) => 'notMeasured' in c);
  if (missing && 'notMeasured' in missing) return `Instructions not measured: ${missing.notMeasured}.`;
  const empties = [...new Set(counts.map((c) => ('emptyModule' in c ? millions(c.emptyModule) : '')))];
  return [
    'Instructions: one run per bundle under `valgrind --tool=callgrind` of',
    `\`node ${PREDICTABLE_NODE.join(' ')}\` importing it (the count repeats from run to run),`,
    `less the ${empties.join(' M / ')} M instructions of importing an empty module the same way${empties.length > 1 ? " (under each function's environment)" : ''}.`,
  ].join(' ');
}

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
    return `| ${b.function} | ${b.variant} | ${kb(b.bundle.bytes)} | ${kb(b.bare.bytes)} | ${instructionCells(b).join(' | ')} | ${b.bundle.importCpuMsMedian.toFixed(1)} | ${b.bare.importCpuMsMedian.toFixed(1)} | ${ratio.toFixed(2)}× | ${b.bundle.importMsMedian.toFixed(0)} / ${b.bare.importMsMedian.toFixed(0)} | ${target} |`;
  });
  return [
    `Run of ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}, ${bundles[0]?.bundle.samples ?? 0} fresh processes per bundle, interleaved, each of a pair first in every other round; medians. ${instructionsNote(bundles)}`,
    '',
    '| function | bundling | size | bare size | load M instructions | bare load M instructions | load ÷ bare (instructions) | load CPU ms | bare load CPU ms | load ÷ bare (CPU) | wall ms, bundle / bare | target |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
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
