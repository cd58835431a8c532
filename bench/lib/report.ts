/**
 * Renders `BenchResults` as the Markdown report (`bench/results/latest.md`): one table per
 * measurement, ratios next to absolute numbers, and the machine the numbers came from.
 */

import { type BundleComparison, instructionCells, instructionsNote } from '../bundles.ts';
import { renderCostTables } from './prices.ts';
import type {
  BenchResults,
  CostResults,
  HandlerEmulatorResult,
  HandlerStubbedResult,
  PipelineResult,
  SignatureRow,
} from './results.ts';
import { round } from './stats.ts';

const fmt = (value: number | undefined, digits?: number): string => {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (digits !== undefined) return value.toFixed(digits);
  return String(round(value));
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !b ? '—' : `${(a / b).toFixed(2)}×`;
const sizeLabel = (bytes: number) => (bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function find(rows: readonly SignatureRow[], scheme: string, size: number, prefix: string) {
  return rows.find((r) => r.scheme === scheme && r.bodyBytes === size && r.implementation.startsWith(prefix));
}

/** The signature section: per scheme and size, ours against the floor and the reference library. */
export function signatureSection(rows: readonly SignatureRow[]): string {
  const out: string[] = [];
  for (const scheme of ['ofauth', 'svix'] as const) {
    const library = scheme === 'ofauth' ? 'stripe constructEvent' : 'svix Webhook.verify';
    const sizes = [...new Set(rows.filter((r) => r.scheme === scheme).map((r) => r.bodyBytes))].sort(
      (a, b) => a - b,
    );
    out.push(
      `**${scheme === 'ofauth' ? '`OFAuth-Signature` (t=…,v1=…)' : 'Svix / Standard Webhooks'}** — µs per verification (mean; lower is better)`,
      '',
      table(
        [
          'body',
          'floor: HMAC + timingSafeEqual',
          'ours',
          'ours ÷ floor',
          'ours + JSON.parse',
          library,
          `${library.split(' ')[0]} ÷ ours (+parse)`,
        ],
        sizes.map((size) => {
          const floor = find(rows, scheme, size, 'floor');
          const ours = find(rows, scheme, size, 'ours');
          const oursParse = find(rows, scheme, size, 'ours + JSON.parse');
          const lib = find(rows, scheme, size, library.split(' ')[0]!);
          return [
            sizeLabel(size),
            fmt(floor?.meanUs),
            fmt(ours?.meanUs),
            ratio(ours?.meanUs, floor?.meanUs),
            fmt(oursParse?.meanUs),
            fmt(lib?.meanUs),
            ratio(lib?.meanUs, oursParse?.meanUs),
          ];
        }),
      ),
      '',
    );
  }
  out.push(
    'Both libraries parse the JSON body as part of verifying, so they are compared with "ours + JSON.parse"; ',
    '"ours" alone is the verification the handler does before it parses the envelope.',
  );
  return out.join('\n');
}

/** Renders the whole report. `chartFile` is the SVG's path relative to the report. */
export function renderReport(results: BenchResults, chartFile: string | undefined): string {
  return [
    ...headerSection(results),
    ...(results.signatures?.length
      ? ['## Signature verification', '', signatureSection(results.signatures), '']
      : []),
    ...(results.handlerStubbed ? handlerStubbedSection(results.handlerStubbed) : []),
    ...(results.handlerEmulators?.length ? handlerEmulatorsSection(results.handlerEmulators) : []),
    ...(results.publish ? publishSection(results.publish) : []),
    ...(results.bundles?.length ? bundlesSection(results.bundles) : []),
    ...(results.pipeline?.length ? pipelineSection(results.pipeline, chartFile) : []),
    ...(results.costs ? costsSection(results.costs) : []),
    ...(results.skipped.length ? skippedSection(results.skipped) : []),
    ...runTimeSection(results.durations),
  ].join('\n');
}

/** The title and the machine the numbers came from. */
function headerSection(results: BenchResults): string[] {
  const m = results.machine;
  return [
    '# Benchmark report',
    '',
    `Generated ${results.generatedAt} by \`${results.command}\` on Node ${m.node}, ${m.platform}/${m.arch}, ${m.cpus} × ${m.cpuModel}${results.quick ? ' (quick mode: fewer samples)' : ''}.`,
    'Absolute numbers depend on the machine; the ratios measured side by side in the same run are the claim.',
    '',
  ];
}

function handlerStubbedSection(h: HandlerStubbedResult): string[] {
  const row = (name: string, r?: { meanUs: number; p50Us: number; p99Us: number; samples: number }) =>
    r ? [name, fmt(r.meanUs), fmt(r.p50Us), fmt(r.p99Us), String(r.samples)] : [name, '—', '—', '—', '—'];
  return [
    '## Verifier handler, in-process, AWS clients stubbed',
    '',
    `The whole handler (middleware, verification, envelope, event key, event record and queue calls, logging and metrics) per event, with ${h.stub}: our overhead without network.`,
    '',
    table(
      ['delivery', 'mean µs', 'p50 µs', 'p99 µs', 'samples'],
      [
        row('new event (1 KB, Svix)', h.newEvent),
        row('duplicate', h.duplicate),
        row('rejected (bad signature)', h.rejected),
      ],
    ),
    '',
  ];
}

function handlerEmulatorsSection(runs: readonly HandlerEmulatorResult[]): string[] {
  return [
    '## Verifier handler against the local emulators',
    '',
    'The same handler with real SDK calls to DynamoDB Local, fauxqs and the local Secrets Manager (new 1 KB events, invoked in-process, `concurrency` invocations in flight).',
    '',
    table(
      ['concurrency', 'events', 'events/s', 'p50 ms', 'p99 ms', 'answers'],
      runs.map((r) => [
        String(r.concurrency),
        String(r.events),
        fmt(r.eventsPerSecond),
        fmt(r.latencyMs.p50),
        fmt(r.latencyMs.p99),
        Object.entries(r.statusCounts)
          .map(([status, count]) => `${count}× ${status}`)
          .join(', '),
      ]),
    ),
    '',
  ];
}

function publishSection({ firstMs, latencyMs, entryBytes }: NonNullable<BenchResults['publish']>): string[] {
  return [
    '## Publishing to the event bus',
    '',
    `The processor's \`EventBusPublisher.publish\` (SDK EventBridge client, signed requests) against the local recording bus, one ${kb(entryBytes)} \`connection.updated\` at a time: the client's cost plus a loopback round trip, not EventBridge's own latency.`,
    '',
    table(
      ['publishes', 'first ms', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      [
        [
          String(latencyMs.count),
          fmt(firstMs),
          fmt(latencyMs.p50),
          fmt(latencyMs.p90),
          fmt(latencyMs.p99),
          fmt(latencyMs.max),
        ],
      ],
    ),
    '',
  ];
}

function bundlesSection(bundles: readonly BundleComparison[]): string[] {
  return [
    '## Lambda bundles: size and cold module load',
    '',
    'Each function bundled with esbuild as the stack bundles it, next to a bare bundle that only imports and constructs the AWS SDK clients the function uses. Load time: median `import()` time in a fresh `node` process per sample.',
    '',
    table(
      [
        'function',
        'bundling',
        'size',
        'bare size',
        'M instr.',
        'bare M instr.',
        'instr. ÷ bare',
        'load ms',
        'bare load ms',
        'load ÷ bare',
        'CPU ÷ bare',
        'process wall ms',
      ],
      bundles.map((b) => [
        b.function,
        b.variant,
        kb(b.bundle.bytes),
        kb(b.bare.bytes),
        ...instructionCells(b),
        fmt(b.bundle.importMsMedian),
        fmt(b.bare.importMsMedian),
        ratio(b.bundle.importMsMedian, b.bare.importMsMedian),
        ratio(b.bundle.importCpuMsMedian, b.bare.importCpuMsMedian),
        `${fmt(b.bundle.processMsMedian)} (bare ${fmt(b.bare.processMsMedian)})`,
      ]),
    ),
    '',
    instructionsNote(bundles),
    '',
    `Samples per bundle: ${bundles[0]?.bundle.samples}. Largest contributors to each function bundle:`,
    '',
    ...bundles.map(
      (b) =>
        `- ${b.function}, ${b.variant}: ${b.bundle.topInputs
          .slice(0, 6)
          .map((input) => `${input.path} ${kb(input.bytes)}`)
          .join(', ')}`,
    ),
    '',
  ];
}

function pipelineSection(runs: readonly PipelineResult[], chartFile: string | undefined): string[] {
  return [
    '## Local pipeline end to end',
    '',
    'HTTP gateway → verifier → DynamoDB Local event record → fauxqs FIFO → poller → processor (connection registry in DynamoDB Local). Each connection sends its events one after another, as OFAuth does; latency runs from sending the request to the processor reporting the message done.',
    '',
    table(
      [
        'setup',
        'connections',
        'events',
        'events/s',
        'p50 ms',
        'p99 ms',
        'answer p50 / p99 ms',
        'lost',
        'reordered',
        'duplicate effects',
        'non-2xx',
      ],
      runs.map((p) => [
        p.setup ?? 'default',
        String(p.connections),
        String(p.events),
        fmt(p.eventsPerSecond),
        fmt(p.latencyMs.p50),
        fmt(p.latencyMs.p99),
        `${fmt(p.answerMs.p50)} / ${fmt(p.answerMs.p99)}`,
        String(p.lost),
        String(p.reordered),
        String(p.duplicateEffects),
        String(p.non2xx),
      ]),
    ),
    '',
    ...(chartFile ? [`![receive → processed latency distribution](${chartFile})`, ''] : []),
  ];
}

/** Where the CPU goes, the machine's ceiling from it, and the counted cost per million events. */
function costsSection(costs: CostResults): string[] {
  const { pipeline, cores, ceilingEventsPerSecond } = costs;
  const total = pipeline.cpuMsPerEvent.node + pipeline.cpuMsPerEvent.java + pipeline.cpuMsPerEvent.fauxqs;
  return [
    '## Where the CPU goes',
    '',
    `The pipeline at ${pipeline.connections} connections (${pipeline.events} events, ${fmt(pipeline.eventsPerSecond)} events/s), CPU per event by process:`,
    '',
    table(
      ['process', 'CPU ms per event'],
      [
        ['Node.js: gateway, verifier, processor (one thread)', String(pipeline.cpuMsPerEvent.node)],
        ['DynamoDB Local (JVM)', String(pipeline.cpuMsPerEvent.java)],
        ['fauxqs (SQS, S3)', String(pipeline.cpuMsPerEvent.fauxqs)],
        ['**all**', `**${fmt(total)}**`],
      ],
    ),
    '',
    `AWS calls per event: ${Object.entries(pipeline.callsPerEvent)
      .map(([operation, count]) => `${operation} ${count}`)
      .join(', ')}.`,
    '',
    `**Ceiling on this machine: ${cores} cores × 1000 / ${fmt(total)} ms = ${ceilingEventsPerSecond} events/s**, however the work is scheduled.`,
    '',
    ...callCostTables(costs),
    ...(costs.counted
      ? ['## Cost per million events, counted', '', renderCostTables(costs.counted), '']
      : []),
  ];
}

/** CPU per call of DynamoDB Local and of the SDK itself: what the per-event CPU is made of. */
function callCostTables({ dynamodbLocal, sdk }: CostResults): string[] {
  return [
    table(
      ['DynamoDB Local, bare HTTP client (no SDK), warm JVM', 'JVM CPU ms per call', 'calls/s'],
      dynamodbLocal.map((row) => [row.operation, String(row.javaMsPerCall), String(row.callsPerSecond)]),
    ),
    '',
    table(
      ['one call against a trivial in-process server', 'Node.js CPU ms per call (client and server)'],
      sdk.map((row) => [row.call, String(row.nodeMsPerCall)]),
    ),
    '',
  ];
}

function skippedSection(skipped: BenchResults['skipped']): string[] {
  return ['## Not measured in this run', '', ...skipped.map((s) => `- ${s.part}: ${s.reason}`), ''];
}

function runTimeSection(durations: BenchResults['durations']): string[] {
  return [
    '## Run time',
    '',
    Object.entries(durations)
      .map(([part, seconds]) => `${part} ${seconds.toFixed(1)} s`)
      .join(' · '),
    '',
  ];
}
