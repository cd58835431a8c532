/**
 * Load through the local pipeline over HTTP: 10,000 events from 100 connections, each connection
 * sending in order (awaiting each answer, retrying a non-2xx as the sender does), through the
 * gateway, the production verifier and processor handlers, DynamoDB Local and fauxqs. Every event
 * must be processed once (no event lost, none enqueued or handled twice) and in order per connection.
 */
import { randomBytes } from 'node:crypto';
import type { PipelineResult } from '../../bench/lib/results.ts';
import { driveLoad, PipelineObserver } from '../../bench/pipeline.ts';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline.ts';
import { generateSvixSecret } from '../../testing/signers.ts';
import { invariantMismatches } from './support/documented-figures.ts';
import { captureLogs, dumpLogsIfAsked, findSecretLeaks } from './support/log-capture.ts';
import { type FigureRow, recordFigures } from './support/summary.ts';

const CONNECTIONS = 100;
const EVENTS_PER_CONNECTION = 100;
const SECRET = generateSvixSecret();

const logs = captureLogs();
let pipeline: LocalPipeline;
const observer = new PipelineObserver();
let result: PipelineResult | undefined;
let durationSeconds = 0;

beforeAll(async () => {
  pipeline = await startLocalPipeline({
    port: 0,
    secrets: [SECRET],
    endpoints: { dynamodb: process.env.TEST_DYNAMODB_ENDPOINT!, sqs: process.env.TEST_SQS_ENDPOINT! },
    prefix: `rel-load-${randomBytes(4).toString('hex')}`,
    // DEBUG, so that every event writes its lines (at INFO, as deployed, a success writes none):
    // the secret scan below then reads each event's hand-on and processing lines.
    env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    processor: (module) => observer.wrap(module.createProcessorHandler()),
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  logs.stop();
  dumpLogsIfAsked(logs.lines, 'load');
  recordFigures(SUITE, figures());
});

const SUITE = 'load';

/** The suite's figures: what every run must show, then what varies with the machine. */
function figures(): FigureRow[] {
  return [
    {
      figure: 'events sent (connections × events each)',
      value: `${result?.events ?? 0} (${CONNECTIONS} × ${EVENTS_PER_CONNECTION})`,
      required: '≥ 10000 over 100',
    },
    { figure: 'lost', value: result?.lost ?? 'not run', required: '0' },
    { figure: 'processed out of order', value: result?.reordered ?? 'not run', required: '0' },
    {
      figure: 'duplicate effects (processed twice)',
      value: result?.duplicateEffects ?? 'not run',
      required: '0',
    },
    { figure: 'enqueued more than once', value: observer.enqueuedMoreThanOnce, required: '0' },
    {
      figure: 'non-2xx answers (retried by the sender), by status',
      value: result ? `${result.non2xx} ${JSON.stringify(result.non2xxStatuses ?? {})}` : 'not run',
      measured: true,
    },
    {
      figure: 'deliveries the sender gave up on (5 attempts, none 2xx)',
      value: result?.unacknowledged ?? 'not run',
      required: '0',
    },
    {
      figure: 'throughput, events/s (HTTP → processed)',
      value: result ? Math.round(result.eventsPerSecond) : 'not run',
      measured: true,
    },
    {
      figure: 'receive → processed latency p50 / p99, ms',
      value: result ? `${Math.round(result.latencyMs.p50)} / ${Math.round(result.latencyMs.p99)}` : 'not run',
      measured: true,
    },
    { figure: 'suite duration, s', value: durationSeconds.toFixed(0), measured: true },
    {
      figure: 'secret found in a log line (load)',
      value: findSecretLeaks(logs.lines, [SECRET]).length,
      required: '0',
    },
  ];
}

describe('load through the local pipeline', () => {
  it(`processes ${CONNECTIONS * EVENTS_PER_CONNECTION} events from ${CONNECTIONS} connections once each and in order`, async () => {
    // GIVEN 100 connections, each sending 100 events in order over HTTP
    const started = Date.now();
    // WHEN they all send at once
    ({ result } = await driveLoad(
      pipeline.url,
      SECRET,
      observer,
      { connections: CONNECTIONS, eventsPerConnection: EVENTS_PER_CONNECTION },
      'load',
    ));
    durationSeconds = (Date.now() - started) / 1000;
    // THEN every event is processed once, in order per connection, and enqueued once
    expect(result.events).toBe(CONNECTIONS * EVENTS_PER_CONNECTION);
    expect(result.unacknowledged).toBe(0);
    expect(result.lost).toBe(0);
    expect(result.reordered).toBe(0);
    expect(result.duplicateEffects).toBe(0);
    expect(observer.enqueuedMoreThanOnce).toBe(0);
  }, 280_000);

  it('writes no secret to any log line', () => {
    // GIVEN the lines captured during the load: at DEBUG, at least one "event processed" line per
    // event, so an empty capture (a scan that proves nothing) fails here
    const processedLines = logs.lines.filter((line) => line.includes('"message":"event processed"'));
    expect(processedLines.length).toBeGreaterThanOrEqual(CONNECTIONS * EVENTS_PER_CONNECTION);
    // THEN none carries the signing secret in any encoding
    expect(findSecretLeaks(logs.lines, [SECRET])).toEqual([]);
  });

  it('measures the figures docs/reliability.md states', () => {
    // GIVEN the load above has run
    // THEN its counts (not its rates and times) are the ones docs/reliability-figures.json holds
    expect(invariantMismatches(SUITE, figures())).toEqual([]);
  });
});
