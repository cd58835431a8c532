/**
 * The benchmark's Markdown report (`bench/results/latest.md`): every part that ran gets its
 * section, in the order the bench runs them, and a part that did not run leaves no empty section.
 */
import { readFileSync } from 'node:fs';
import type { CountedCosts } from '../../bench/lib/prices.ts';
import { renderReport } from '../../bench/lib/report.ts';
import type { BenchResults, SignatureRow } from '../../bench/lib/results.ts';

const summary = (p50: number, p99: number) => ({
  count: 10,
  mean: p50,
  min: p50,
  p50,
  p90: p99,
  p99,
  max: p99,
});
const signature = (scheme: 'ofauth' | 'svix', implementation: string, meanUs: number): SignatureRow => ({
  scheme,
  bodyBytes: 1024,
  implementation,
  meanUs,
  p50Us: meanUs,
  p99Us: meanUs,
  opsPerSecond: 1e6 / meanUs,
  samples: 100,
});
const bundle = (bytes: number, ms: number) => ({
  file: 'index.mjs',
  bytes,
  topInputs: [{ path: 'node_modules/zod/index.js', bytes: 2048 }],
  importMsMedian: ms,
  importCpuMsMedian: ms,
  processMsMedian: ms * 2,
  samples: 5,
});

/** One run in which every part measured something. */
const FULL_RUN: BenchResults = {
  generatedAt: '2026-12-07T04:00:00.000Z',
  command: 'npm run bench',
  machine: { node: '24.15.0', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'Test CPU' },
  quick: false,
  signatures: [
    signature('ofauth', 'floor: HMAC + timingSafeEqual', 2),
    signature('ofauth', 'ours', 3),
    signature('ofauth', 'ours + JSON.parse', 4),
    signature('ofauth', 'stripe constructEvent', 8),
    signature('svix', 'ours', 5),
  ],
  handlerStubbed: { stub: 'stubbed clients', newEvent: { meanUs: 90, p50Us: 80, p99Us: 200, samples: 1000 } },
  handlerEmulators: [
    {
      concurrency: 4,
      events: 200,
      eventsPerSecond: 150,
      latencyMs: summary(20, 60),
      statusCounts: { 202: 200 },
    },
  ],
  bundles: [
    {
      function: 'verifier',
      variant: 'stack',
      bundle: bundle(300 * 1024, 110),
      bare: bundle(200 * 1024, 100),
    },
  ],
  pipeline: [
    {
      connections: 8,
      events: 400,
      eventsPerSecond: 90,
      latencyMs: summary(40, 120),
      answerMs: summary(15, 50),
      lost: 0,
      reordered: 0,
      duplicateEffects: 0,
      non2xx: 0,
    },
  ],
  costs: {
    pipeline: {
      connections: 8,
      events: 400,
      eventsPerSecond: 90,
      cpuMsPerEvent: { node: 5, java: 3, fauxqs: 2 },
      callsPerEvent: { PutItem: 2, SendMessage: 1 },
      messagesPerBatch: 4,
    },
    counted: JSON.parse(
      readFileSync(new URL('../../docs/cost-figures.json', import.meta.url), 'utf8'),
    ) as CountedCosts,
    dynamodbLocal: [{ operation: 'PutItem', javaMsPerCall: 1.5, callsPerSecond: 600 }],
    sdk: [{ call: 'DynamoDB PutItem', nodeMsPerCall: 0.4 }],
    cores: 2,
    ceilingEventsPerSecond: 200,
  },
  skipped: [{ part: 'publish', reason: 'not asked for' }],
  durations: { signatures: 10, total: 60 },
};

const headings = (markdown: string) => markdown.split('\n').filter((line) => /^##? /.test(line));

describe('the benchmark report', () => {
  it('has a section per measured part, in the order the bench runs them', () => {
    // GIVEN a run in which every part measured something
    // WHEN it is rendered
    const markdown = renderReport(FULL_RUN, 'latest-latency.svg');
    // THEN each part has its section, with its figures and the chart beside the pipeline
    expect(headings(markdown)).toEqual([
      '# Benchmark report',
      '## Signature verification',
      '## Verifier handler, in-process, AWS clients stubbed',
      '## Verifier handler against the local emulators',
      '## Lambda bundles: size and cold module load',
      '## Local pipeline end to end',
      '## Where the CPU goes',
      '## Cost per million events, counted',
      '## Not measured in this run',
      '## Run time',
    ]);
    expect(markdown).toContain('| 1 KB | 2 | 3 | 1.50× | 4 | 8 | 2.00× |');
    expect(markdown).toContain('| duplicate | — | — | — | — |');
    expect(markdown).toContain('| 4 | 200 | 150 | 20 | 60 | 200× 202 |');
    expect(markdown).toContain(
      '| verifier | stack | 300.0 KB | 200.0 KB | not measured | not measured | not measured | 110 | 100 | 1.10× | 1.10× | 220 (bare 200) |',
    );
    expect(markdown).toContain('- verifier, stack: node_modules/zod/index.js 2.0 KB');
    expect(markdown).toContain('| default | 8 | 400 | 90 | 40 | 120 | 15 / 50 | 0 | 0 | 0 | 0 |');
    expect(markdown).toContain('![receive → processed latency distribution](latest-latency.svg)');
    expect(markdown).toContain('**Ceiling on this machine: 2 cores × 1000 / 10 ms = 200 events/s**');
    expect(markdown).toContain('- publish: not asked for');
    expect(markdown).toContain('signatures 10.0 s · total 60.0 s');
  });

  it('leaves out the sections of parts that did not run', () => {
    // GIVEN a quick run that measured nothing
    const { generatedAt, command, machine } = FULL_RUN;
    const empty: BenchResults = {
      generatedAt,
      command,
      machine,
      quick: true,
      skipped: [],
      durations: { total: 1 },
    };
    // WHEN it is rendered
    const markdown = renderReport(empty, undefined);
    // THEN only the header and the run time remain
    expect(headings(markdown)).toEqual(['# Benchmark report', '## Run time']);
    expect(markdown).toContain('(quick mode: fewer samples)');
  });
});
