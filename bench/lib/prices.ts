/**
 * The one place list prices live, and the pricing of what `npm run bench -- --only costs` counts.
 * docs/cost-and-scaling.md shows {@link renderCostTables} of the committed counts
 * (docs/cost-figures.json); test/unit/cost-figures.test.ts checks the two agree.
 */

/** List prices, us-east-1, on-demand, after free tiers (USD). */
export const PRICES = {
  /** API Gateway HTTP API, per request (first 300 million a month; metered per 512 KB). */
  httpApiRequest: 1.0 / 1e6,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda arm64, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** DynamoDB on-demand, per write request unit (1 KB of item written). */
  dynamodbWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit (4 KB read strongly consistent). */
  dynamodbReadUnit: 0.125 / 1e6,
  /** SQS FIFO, per request (each 64 KB of a payload is one). */
  sqsFifoRequest: 0.5 / 1e6,
  /** CloudWatch Logs, per GB ingested (standard class). */
  logsIngestedGb: 0.5,
  /** Kinesis Data Firehose Direct PUT, per GB ingested (each record rounded up to 5 KB). */
  firehoseIngestedGb: 0.029,
  /** S3 Standard, per GB-month stored. */
  s3GbMonth: 0.023,
  /** S3 Standard, per PUT. */
  s3Put: 0.005 / 1000,
} as const;

/** The list prices as the docs show them. */
export const PRICE_LIST: ReadonlyArray<readonly [service: string, price: string]> = [
  ['API Gateway HTTP API', '$1.00 per million requests (first 300 million a month; metered per 512 KB)'],
  ['Lambda (arm64)', '$0.20 per million requests + $0.0000133334 per GB-second'],
  ['DynamoDB on-demand', '$0.625 per million write request units, $0.125 per million read request units'],
  ['SQS FIFO', '$0.50 per million requests (each 64 KB of a payload is one request)'],
  ['CloudWatch Logs', '$0.50 per GB ingested (standard class), $0.03 per GB-month stored'],
  [
    'Kinesis Data Firehose (Direct PUT)',
    '$0.029 per GB ingested, each record rounded up to a multiple of 5 KB',
  ],
  ['S3 Standard', '$0.023 per GB-month, $0.005 per 1,000 PUTs, $0.0004 per 1,000 GETs'],
];

const GB = 1024 ** 3;

/** What no local run can measure: stated, and priced as stated. */
export const ASSUMPTIONS = {
  /**
   * The verifier's memory, and its billed milliseconds per warm delivery: its own work (under 1 ms:
   * the stubbed handler bench measures about 0.3 ms of CPU) plus each counted AWS call, one after
   * another, at about 10 ms inside the region.
   */
  verifier: { memoryGb: 0.5, ownMs: 1, msPerAwsCall: 10 },
  /** The processor's memory and billed milliseconds per invocation, by batch size. */
  processor: { memoryGb: 0.25, billedMsSingle: 20, billedMsBatch: 40 },
  /** Messages per processor invocation: a steady stream, and a trickle (one event at a time). */
  batchSize: { steady: 5, trickle: 1 },
  /** Days the archive keeps an event. */
  archiveRetentionDays: 30,
  /** Firehose writes one object per 5 MiB (steady) or one a minute (trickle, 1 event a second). */
  firehoseObjectBytes: 5 * 1024 ** 2,
  trickleEventsPerMinute: 60,
} as const;

/** What the bench counted, per event, on the local pipeline (the committed JSON). */
export interface CountedCosts {
  /** When the run ended (ISO 8601). */
  readonly date: string;
  readonly events: number;
  readonly eventSizeBytes: number;
  readonly lifecycleEvery: number;
  /**
   * DynamoDB capacity units per event, by part: the verifier's (any table), the processor's on the
   * connections table, and the processor's on any other table (the processed-events record).
   */
  readonly dynamodb: {
    readonly verifierWrite: number;
    readonly verifierRead: number;
    readonly connectionsWrite: number;
    readonly connectionsRead: number;
    readonly recordWrite: number;
    readonly recordRead: number;
  };
  /** The verifier's AWS calls per delivery (DynamoDB, SQS), one after another: its billed duration. */
  readonly verifierCallsPerEvent: number;
  /**
   * The verifier's median wall time per delivery on the local pipeline (emulators on shared cores,
   * not AWS): shown beside the assumption, not priced.
   */
  readonly verifierLocalMs: number;
  /** SQS `SendMessage` requests per event by the verifier, as billed. */
  readonly sqsSendRequests: number;
  /** Archive bytes per event, and as Firehose bills them. */
  readonly archive: { readonly bytes: number; readonly firehoseBilledBytes: number };
  /** The API access-log line, from the stage's format for a typical request. */
  readonly accessLogBytes: number;
  /** Log bytes by function: per event, per invocation; all lines (`INFO`) and `WARN` and above. */
  readonly logs: {
    readonly verifier: LogBytes;
    readonly processor: LogBytes;
  };
}

/** Log bytes of one function. */
export interface LogBytes {
  readonly info: { readonly perEvent: number; readonly perInvocation: number };
  readonly warn: { readonly perEvent: number; readonly perInvocation: number };
}

/** A scenario priced: traffic shape and log level. */
export interface Scenario {
  readonly traffic: 'steady' | 'trickle';
  readonly logLevel: 'INFO' | 'WARN';
}

/** Dollars per million events, by part. */
export interface PricedParts {
  readonly ingest: number;
  readonly processing: number;
  readonly archive: number;
  readonly record: number;
  readonly endToEnd: number;
}

const MILLION = 1e6;

/** The verifier's billed milliseconds per delivery (Lambda bills whole milliseconds). */
export function verifierBilledMs(counted: CountedCosts): number {
  const { ownMs, msPerAwsCall } = ASSUMPTIONS.verifier;
  return Math.ceil(ownMs + msPerAwsCall * counted.verifierCallsPerEvent);
}
const logsCost = (bytes: number) => (bytes / GB) * PRICES.logsIngestedGb;

/** Dollars per million events of each part in one scenario. */
export function priceParts(counted: CountedCosts, scenario: Scenario): PricedParts {
  const level = scenario.logLevel === 'INFO' ? 'info' : 'warn';
  const batch = ASSUMPTIONS.batchSize[scenario.traffic];
  const { verifier, processor } = counted.logs;
  const verifierLogs = verifier[level].perEvent + verifier[level].perInvocation;
  const ingest =
    PRICES.httpApiRequest +
    PRICES.lambdaRequest +
    (verifierBilledMs(counted) / 1000) * ASSUMPTIONS.verifier.memoryGb * PRICES.lambdaGbSecond +
    counted.dynamodb.verifierWrite * PRICES.dynamodbWriteUnit +
    counted.dynamodb.verifierRead * PRICES.dynamodbReadUnit +
    counted.sqsSendRequests * PRICES.sqsFifoRequest +
    logsCost(counted.accessLogBytes + verifierLogs);
  const processorMs =
    batch === 1 ? ASSUMPTIONS.processor.billedMsSingle : ASSUMPTIONS.processor.billedMsBatch;
  const processing =
    PRICES.lambdaRequest / batch +
    ((processorMs / 1000) * ASSUMPTIONS.processor.memoryGb * PRICES.lambdaGbSecond) / batch +
    // The event source's ReceiveMessage and DeleteMessageBatch, one each per batch.
    (2 * PRICES.sqsFifoRequest) / batch +
    counted.dynamodb.connectionsWrite * PRICES.dynamodbWriteUnit +
    counted.dynamodb.connectionsRead * PRICES.dynamodbReadUnit +
    logsCost(processor[level].perEvent + processor[level].perInvocation / batch);
  const objectsPerEvent =
    scenario.traffic === 'steady'
      ? counted.archive.bytes / ASSUMPTIONS.firehoseObjectBytes
      : 1 / ASSUMPTIONS.trickleEventsPerMinute;
  const archive =
    (counted.archive.firehoseBilledBytes / GB) * PRICES.firehoseIngestedGb +
    (counted.archive.bytes / GB) * PRICES.s3GbMonth * (ASSUMPTIONS.archiveRetentionDays / 30) +
    objectsPerEvent * PRICES.s3Put;
  const record =
    counted.dynamodb.recordWrite * PRICES.dynamodbWriteUnit +
    counted.dynamodb.recordRead * PRICES.dynamodbReadUnit;
  const perMillion = (dollars: number) => dollars * MILLION;
  return {
    ingest: perMillion(ingest),
    processing: perMillion(processing),
    archive: perMillion(archive),
    record: perMillion(record),
    endToEnd: perMillion(ingest + processing + archive + record),
  };
}

/** The targets (dollars per million events; steady stream, archive and record on, `INFO`). */
export const TARGETS = { ingest: 2.9, endToEnd: 4.25 } as const;

const dollars = (value: number) => `$${value.toFixed(2)}`;
const number = (value: number, digits = 2) => String(Math.round(value * 10 ** digits) / 10 ** digits);

/** The counted inputs as a Markdown table. */
function countedTable(counted: CountedCosts): string {
  const { dynamodb: d, logs } = counted;
  const log = (bytes: LogBytes) =>
    `${number(bytes.info.perEvent, 0)} B per event + ${number(bytes.info.perInvocation, 0)} B per invocation (\`WARN\`: ${number(bytes.warn.perEvent, 0)} + ${number(bytes.warn.perInvocation, 0)})`;
  return [
    '| counted per event | value |',
    '|---|---|',
    `| verifier, every table: WRU, RRU | ${number(d.verifierWrite)}, ${number(d.verifierRead)} |`,
    `| verifier AWS calls (DynamoDB, SQS) | ${number(counted.verifierCallsPerEvent)} |`,
    `| connections table (processor): WRU, RRU | ${number(d.connectionsWrite)}, ${number(d.connectionsRead)} |`,
    `| processor, every other table (the record): WRU, RRU | ${number(d.recordWrite)}, ${number(d.recordRead)} |`,
    `| verifier SQS \`SendMessage\` requests, as billed | ${number(counted.sqsSendRequests)} |`,
    `| archive line: bytes, as Firehose bills them | ${number(counted.archive.bytes, 0)}, ${number(counted.archive.firehoseBilledBytes, 0)} |`,
    `| API access-log line | ${number(counted.accessLogBytes, 0)} B |`,
    `| verifier log lines | ${log(logs.verifier)} |`,
    `| processor log lines | ${log(logs.processor)} |`,
  ].join('\n');
}

/**
 * The tables docs/cost-and-scaling.md shows: what was counted, and each part priced per million
 * events (steady stream and trickle, `INFO` and `WARN`) beside the targets.
 */
export function renderCostTables(counted: CountedCosts): string {
  const scenarios: Scenario[] = [
    { traffic: 'steady', logLevel: 'INFO' },
    { traffic: 'trickle', logLevel: 'INFO' },
    { traffic: 'steady', logLevel: 'WARN' },
    { traffic: 'trickle', logLevel: 'WARN' },
  ];
  const priced = scenarios.map((scenario) => priceParts(counted, scenario));
  const parts: Array<[string, keyof PricedParts, string]> = [
    ['ingest path', 'ingest', `≤ ${dollars(TARGETS.ingest)}`],
    ['processing', 'processing', ''],
    ['archive', 'archive', ''],
    ['processed-events record', 'record', ''],
    ['**end to end**', 'endToEnd', `≤ ${dollars(TARGETS.endToEnd)}`],
  ];
  const a = ASSUMPTIONS;
  return [
    '### List prices used (us-east-1, on-demand, after free tiers)',
    '',
    '| service | price |',
    '|---|---|',
    ...PRICE_LIST.map(([service, price]) => `| ${service} | ${price} |`),
    '',
    '### Assumptions (what a local run cannot measure)',
    '',
    `- Verifier: ${a.verifier.memoryGb * 1024} MB; billed per warm delivery ${a.verifier.ownMs} ms of its own plus ${a.verifier.msPerAwsCall} ms per counted AWS call, one after another (here ${verifierBilledMs(counted)} ms; on the local pipeline, against the emulators on shared cores, the median delivery took ${number(counted.verifierLocalMs, 1)} ms).`,
    `- Processor: ${a.processor.memoryGb * 1024} MB, ${a.processor.billedMsSingle} ms billed for one message, ${a.processor.billedMsBatch} ms for a batch of ${a.batchSize.steady}; the archive and record calls included.`,
    `- Batches: ${a.batchSize.steady} messages with a steady stream, ${a.batchSize.trickle} when events trickle in one at a time; the event source makes one \`ReceiveMessage\` and one \`DeleteMessageBatch\` per batch.`,
    `- Archive: Firehose bills each line rounded up to 5 KB; S3 keeps it ${a.archiveRetentionDays} days; Firehose writes one object per 5 MiB (steady) or one a minute (trickle, one event a second).`,
    "- Logs: the bytes of the lines the functions wrote on the local pipeline, EMF metrics lines included; Lambda's START/END/REPORT lines are filtered out (JSON log format, system log level `WARN`). `WARN` keeps the lines at `WARN` and above and the metrics lines.",
    '',
    '### Counted per event',
    '',
    `Counted by \`npm run bench -- --only costs\` on ${counted.date.slice(0, 10)} (counting proxies in front of the emulators; DynamoDB units as DynamoDB Local computes them from item sizes): ${counted.events} events of ${counted.eventSizeBytes} bytes, one \`connection.updated\` in ${counted.lifecycleEvery}, archive and record on.`,
    '',
    countedTable(counted),
    '',
    '### Per million events',
    '',
    '| per million events | steady, `INFO` | trickle, `INFO` | steady, `WARN` | trickle, `WARN` | target (steady, `INFO`) |',
    '|---|---|---|---|---|---|',
    ...parts.map(
      ([label, key, target]) =>
        `| ${label} | ${priced.map((p) => dollars(p[key])).join(' | ')} | ${target} |`,
    ),
  ].join('\n');
}

const BEGIN =
  '<!-- cost-figures:begin (generated by `npm run bench -- --only costs` from docs/cost-figures.json) -->';
const END = '<!-- cost-figures:end -->';

/** The generated block of the doc as it stands. */
export function costDocsBlock(markdown: string): string {
  const begin = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/cost-and-scaling.md has no ${BEGIN} … ${END} block`);
  return markdown.slice(begin + BEGIN.length, end).trim();
}

/** The doc's text with the generated block replaced by the tables of `counted`. */
export function withCostTables(markdown: string, counted: CountedCosts): string {
  costDocsBlock(markdown);
  const begin = markdown.indexOf(BEGIN) + BEGIN.length;
  return `${markdown.slice(0, begin)}\n${renderCostTables(counted)}\n${markdown.slice(markdown.indexOf(END))}`;
}
