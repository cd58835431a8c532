/**
 * `npm run bench`: measures signature verification, the verifier handler (stubbed and against
 * the emulators), the Lambda bundles and the local pipeline (one verifier environment against the
 * defaults, or `BENCH_PIPELINE_SETUPS`) side by side in one run, then writes
 * `bench/results/latest.json`, `bench/results/latest.md` and the latency chart
 * `bench/results/latest-latency.svg`.
 *
 * @example
 * npm run bench                          # everything (about 2–4 minutes on 2 cores)
 * npm run bench -- --quick               # fewer samples, for a smoke test
 * npm run bench -- --only pipeline       # the local pipeline alone
 * BENCH_PIPELINE_SETUPS=1x4,8x8s,8x8 npm run bench -- --only pipeline   # verifier × processor environments (s: groups one after another)
 * npm run bench -- --only signatures,bundles
 * npm run bench -- --only costs         # CPU per event by process, per call, and the ceiling it implies
 * npm run bench -- --only publish       # PutEvents latency of the processor's publisher (local bus)
 * npm run bench -- --sample              # also refresh the committed sample report
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { POWERTOOLS_ENVIRONMENT } from '../lambda/shared/deployment-names.ts';
import { type Emulators, startEmulators } from '../local/emulators/index.ts';
import {
  type BundlingVariant,
  measureBundles,
  renderBundleFigures,
  STACK_BUNDLING,
  withBundleFigures,
} from './bundles.ts';
import { withCostTables } from './lib/prices.ts';
import { renderReport } from './lib/report.ts';
import type { BenchResults, CostResults } from './lib/results.ts';
import { latencyCdfSvg } from './lib/svg-chart.ts';
import type { PipelineSetup } from './pipeline.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
/** The counts the cost doc's tables are rendered from (committed), and that doc. */
const COST_FIGURES_FILE = join(ROOT, 'docs', 'cost-figures.json');
const COST_DOC = join(ROOT, 'docs', 'cost-and-scaling.md');
const PERFORMANCE_DOC = join(ROOT, 'docs', 'performance.md');
const PARTS = [
  'signatures',
  'handler-stubbed',
  'handler-emulators',
  'bundles',
  'pipeline',
  'publish',
  'costs',
] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    sample: { type: 'boolean', default: false },
  },
});
const selected = new Set<Part>(
  values.only ? (values.only.split(',').map((p) => p.trim()) as Part[]) : [...PARTS],
);
for (const part of selected)
  if (!PARTS.includes(part)) throw new Error(`unknown part "${part}"; parts: ${PARTS.join(', ')}`);

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The local pipeline setups measured side by side, each in a process of its own: one verifier
 * environment and 4 pollers with a batch's message groups one after another (the closest to the
 * pipeline before it ran environment pools), the default pools with groups one after another, and
 * the defaults. `BENCH_PIPELINE_SETUPS` picks others, e.g. `1x4,8x8s,8x8`
 * (verifier environments × pollers; a trailing `s` runs a batch's groups one after another).
 */
function pipelineSetups(): PipelineSetup[] {
  const configured = process.env.BENCH_PIPELINE_SETUPS?.trim();
  if (!configured)
    return [
      { verifierEnvironments: 1, pollers: 4, concurrentGroups: false },
      { concurrentGroups: false },
      {},
    ];
  return configured.split(',').map((setup) => {
    const match = /^(\d+)x(\d+)(s?)$/.exec(setup.trim());
    if (!match)
      throw new Error(
        `BENCH_PIPELINE_SETUPS: "${setup}" is not <environments>x<pollers>, optionally followed by s`,
      );
    return {
      verifierEnvironments: Number(match[1]),
      pollers: Number(match[2]),
      ...(match[3] && { concurrentGroups: false }),
    };
  });
}

/** Runs a part in a fresh process and reads its JSON result. */
async function runPart<T>(part: Part, env: Record<string, string>, scratch: string): Promise<T> {
  const out = join(scratch, `${part}.json`);
  const args = [
    // The local pipeline imports the app's handler file, which imports this package by its name.
    '--conditions=ofauth-receiver-source',
    '--import',
    'tsx',
    join(ROOT, 'bench', 'part.ts'),
    part,
    out,
    ...(values.quick ? ['--quick'] : []),
  ];
  await new Promise<void>((resolveRun, reject) => {
    const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...inherited } = process.env;
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      // Local credentials only: no part may reach a real AWS account.
      env: {
        ...inherited,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
        [POWERTOOLS_ENVIRONMENT.metricsNamespace]: 'OFAuthWebhooksBench',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Progress lines pass through; the handlers' JSON log lines (warnings go to stderr) do not.
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line && !line.startsWith('{')) log(line);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolveRun() : reject(new Error(`part ${part} exited with ${code}`)),
    );
  });
  return JSON.parse(await readFile(out, 'utf8')) as T;
}

/** The bundling variants compared: the stack's, and loading the SDK from the Lambda runtime instead. */
const BUNDLING_VARIANTS: BundlingVariant[] = [
  STACK_BUNDLING,
  { ...STACK_BUNDLING, name: 'SDK from the runtime (external @aws-sdk/*)', external: ['@aws-sdk/*'] },
];

/** What the run has measured so far, the parts it had to skip and how long each took. */
interface RunLedger {
  readonly started: number;
  readonly results: Record<string, unknown>;
  readonly skipped: Array<{ part: string; reason: string }>;
  readonly durations: Record<string, number>;
}

/**
 * Runs `work` for `part` if it was selected, timing it; a part that fails is listed as skipped
 * (with its reason) and the run goes on with the next.
 */
function partTimer({ skipped, durations }: RunLedger) {
  return async (part: Part, work: () => Promise<void>) => {
    if (!selected.has(part)) return;
    const t0 = Date.now();
    log(`▶ ${part}`);
    try {
      await work();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      skipped.push({ part, reason });
      log(`✗ ${part}: ${reason}`);
    }
    durations[part] = (Date.now() - t0) / 1000;
  };
}

async function main(): Promise<void> {
  const run: RunLedger = { started: Date.now(), results: {}, skipped: [], durations: {} };
  const { results } = run;
  const scratch = await mkdtemp(join(tmpdir(), 'ofauth-bench-'));
  let emulators: Emulators | undefined;
  const timed = partTimer(run);
  try {
    if (selected.has('handler-emulators') || selected.has('pipeline')) {
      log('starting DynamoDB Local and fauxqs…');
      emulators = await startEmulators({ root: ROOT });
    }
    const env: Record<string, string> = emulators
      ? { BENCH_DYNAMODB_ENDPOINT: emulators.dynamodb.endpoint, BENCH_SQS_ENDPOINT: emulators.sqs.endpoint }
      : {};
    await timed('signatures', async () => {
      results.signatures = await runPart('signatures', env, scratch);
    });
    await timed('handler-stubbed', async () => {
      results.handlerStubbed = await runPart('handler-stubbed', env, scratch);
    });
    await timed('handler-emulators', async () => {
      results.handlerEmulators = await runPart('handler-emulators', env, scratch);
    });
    await timed('bundles', async () => {
      const bundles = await measureBundles(BUNDLING_VARIANTS, values.quick ? 5 : 21, log);
      results.bundles = bundles;
      const figures = renderBundleFigures(
        bundles,
        new Date(),
        `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}`,
      );
      await writeFile(PERFORMANCE_DOC, withBundleFigures(await readFile(PERFORMANCE_DOC, 'utf8'), figures));
      log('  wrote the bundles table of docs/performance.md');
    });
    let chartSeries: Array<{ name: string; samplesMs: number[] }> | undefined;
    await timed('pipeline', async () => {
      const measured: unknown[] = [];
      chartSeries = [];
      for (const setup of pipelineSetups()) {
        const pipeline = await runPart<{ results: unknown[]; samples: Record<string, number[]> }>(
          'pipeline',
          { ...env, BENCH_PIPELINE_SETUP: JSON.stringify(setup) },
          scratch,
        );
        measured.push(...pipeline.results);
        for (const [name, samplesMs] of Object.entries(pipeline.samples))
          chartSeries.push({ name, samplesMs });
      }
      results.pipeline = measured;
    });
    await timed('publish', async () => {
      results.publish = await runPart('publish', env, scratch);
    });
    // Its own emulators (it reads their processes' CPU), started after the others are idle.
    await timed('costs', async () => {
      const costs = await runPart<CostResults>('costs', {}, scratch);
      results.costs = costs;
      // The counts (per event, not timed) become the figures docs/cost-and-scaling.md shows.
      await writeFile(COST_FIGURES_FILE, `${JSON.stringify(costs.counted, null, 2)}\n`);
      await writeFile(COST_DOC, withCostTables(await readFile(COST_DOC, 'utf8'), costs.counted));
      log('  wrote docs/cost-figures.json and the tables of docs/cost-and-scaling.md');
    });

    await writeReport(run, chartSeries);
  } finally {
    await emulators?.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Writes `bench/results/latest.{json,md}` (and the chart, and the sample report with `--sample`). */
async function writeReport(
  run: RunLedger,
  chartSeries: Array<{ name: string; samplesMs: number[] }> | undefined,
): Promise<void> {
  run.durations.total = (Date.now() - run.started) / 1000;
  const cpu = cpus();
  const report: BenchResults = {
    generatedAt: new Date().toISOString(),
    command: `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: {
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model?.trim() ?? 'unknown CPU',
    },
    quick: values.quick,
    ...(run.results as Partial<BenchResults>),
    skipped: run.skipped,
    durations: run.durations,
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  const chartName = 'latest-latency.svg';
  const chart = chartSeries?.length
    ? latencyCdfSvg(chartSeries, { title: 'Local pipeline: receive → processed latency' })
    : undefined;
  if (chart) await writeFile(join(RESULTS_DIR, chartName), chart);
  await writeFile(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderReport(report, chart ? chartName : undefined);
  await writeFile(join(RESULTS_DIR, 'latest.md'), markdown);
  if (values.sample) {
    if (chart) await writeFile(join(RESULTS_DIR, 'sample-latency.svg'), chart);
    await writeFile(
      join(RESULTS_DIR, 'sample-report.md'),
      renderReport(report, chart ? 'sample-latency.svg' : undefined),
    );
  }
  process.stdout.write(`${markdown}\n`);
  log(`wrote bench/results/latest.json and latest.md in ${run.durations.total.toFixed(0)} s`);
  if (run.skipped.length) process.exitCode = 1;
}

await main();
