/**
 * Where the local pipeline's CPU goes, and the throughput ceiling that follows on this machine:
 *
 * - **Pipeline, per event, by process:** the Node.js process running the gateway, the verifier and
 *   the processor; DynamoDB Local's JVM; fauxqs (in a process of its own here, so that its CPU is
 *   counted apart). Also the AWS calls per event, counted by a pass-through proxy in front of each
 *   emulator (in processes of their own, not counted).
 * - **DynamoDB Local, per call:** the JVM's CPU for the operations the handlers make, sent by a bare
 *   HTTP client (no SDK), after a warm-up round: the emulator's own floor.
 * - **AWS SDK, per call:** this process's CPU for one SDK call against a trivial in-process HTTP
 *   server, beside one bare HTTP request to the same server: the client's own cost.
 *
 * The ceiling is the machine's cores divided by the CPU the pipeline spends per event: no
 * scheduling of the same work can go faster.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { Agent, createServer, request } from 'node:http';
import { cpus } from 'node:os';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { POWERTOOLS_ENVIRONMENT, WEBHOOK_PATH } from '../lambda/shared/deployment-names.ts';
import { SERVICE_NAMES } from '../lambda/shared/metrics.ts';
import { ACCESS_LOG_FORMAT } from '../lib/receiver/api.ts';
import { RECEIVER_DEFAULTS } from '../lib/receiver/defaults.ts';
import { startDynamoDbLocal } from '../local/emulators/index.ts';
import { startLocalPipeline } from '../local/pipeline.ts';
import { LOCAL_CREDENTIALS } from '../local/state.ts';
import { generateSvixSecret } from '../testing/signers.ts';
import type { CountedCosts, LogBytes } from './lib/prices.ts';
import type { CostResults } from './lib/results.ts';
import { median } from './lib/stats.ts';
import { driveLoad, PipelineObserver } from './pipeline.ts';

const LOCAL = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };

/** CPU milliseconds a process has used so far (Linux `/proc`); 0 elsewhere. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
  } catch {
    return 0;
  }
}

/** Starts a Node.js child that prints one line (its port) when ready. */
async function startChild(
  source: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
  });
  return { child, port };
}

/** fauxqs in a process of its own, on loopback only (its `startFauxqs` listens on 0.0.0.0). */
const FAUXQS = `
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(app.server.address().port);`;

/**
 * A pass-through proxy that counts what AWS would bill, by the function that called (the
 * `x-bench-caller` header {@link tagCallers} adds); any stdin byte prints the counts:
 * - `calls`: requests by caller and operation (`verifier PutItem`);
 * - `units`: DynamoDB capacity units by caller, table and kind (`verifier <table> write`), as DynamoDB
 *   computes them from item sizes (each item call is sent with `ReturnConsumedCapacity: INDEXES`,
 *   which DynamoDB Local answers by AWS's rules: 1 WRU per KB written, index writes included;
 *   1 RRU per 4 KB read strongly consistent);
 * - `sqsBilled`: SQS requests as billed by operation, each 64 KB of a request one;
 * - `archive`: the JSON lines S3 received, their bytes and their bytes as Firehose bills them
 *   (each record rounded up to a multiple of 5 KB).
 */
const COUNTING_PROXY = `
  import http from 'node:http';
  const target = new URL(process.argv[1]);
  const counts = { calls: {}, units: {}, sqsBilled: {}, archive: { lines: 0, bytes: 0, firehoseBilledBytes: 0 } };
  const add = (map, key, n) => { map[key] = (map[key] ?? 0) + n; };
  const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
  const ITEM_CALLS = new Set([...READS, 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const target0 = req.headers['x-amz-target'] ?? '';
      const operation = target0.split('.').pop()
        || (req.url.startsWith('/?') || req.url === '/' ? 'SQS ' + req.method : 'S3 ' + req.method);
      const caller = req.headers['x-bench-caller'] ?? 'pipeline';
      add(counts.calls, caller + ' ' + operation, 1);
      const dynamodb = target0.startsWith('DynamoDB_') && ITEM_CALLS.has(operation);
      if (dynamodb) {
        const input = JSON.parse(body.toString());
        input.ReturnConsumedCapacity ??= 'INDEXES';
        body = Buffer.from(JSON.stringify(input));
      }
      if (target0.startsWith('AmazonSQS.'))
        add(counts.sqsBilled, caller + ' ' + operation, Math.max(1, Math.ceil(body.length / 65536)));
      if (operation === 'S3 PUT' && body.length > 0) {
        for (const line of body.toString().split('\\n').filter(Boolean)) {
          const bytes = Buffer.byteLength(line) + 1;
          counts.archive.lines += 1;
          counts.archive.bytes += bytes;
          counts.archive.firehoseBilledBytes += Math.ceil(bytes / 5120) * 5120;
        }
      }
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
        (answer) => {
          if (!dynamodb) { res.writeHead(answer.statusCode, answer.headers); answer.pipe(res); return; }
          const parts = [];
          answer.on('data', (chunk) => parts.push(chunk));
          answer.on('end', () => {
            const data = Buffer.concat(parts);
            try {
              const consumed = JSON.parse(data.toString()).ConsumedCapacity;
              for (const entry of [consumed ?? []].flat())
                add(counts.units, caller + ' ' + entry.TableName + (READS.has(operation) ? ' read' : ' write'), entry.CapacityUnits ?? 0);
            } catch {}
            res.writeHead(answer.statusCode, answer.headers);
            res.end(data);
          });
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  process.stdin.on('data', () => process.stdout.write(JSON.stringify(counts) + '\\n'));`;

/** What a counting proxy has counted so far. */
interface ProxyCounts {
  readonly calls: Record<string, number>;
  readonly units: Record<string, number>;
  readonly sqsBilled: Record<string, number>;
  readonly archive: { readonly lines: number; readonly bytes: number; readonly firehoseBilledBytes: number };
}

async function readCounts(proxy: ChildProcess): Promise<ProxyCounts> {
  const answer = new Promise<string>((resolve) =>
    proxy.stdout!.once('data', (chunk: Buffer) => resolve(String(chunk))),
  );
  proxy.stdin!.write('?');
  return JSON.parse(await answer);
}

/** Log lines of one function, by kind, as they left the process. */
interface LogTally {
  lines: number;
  bytes: number;
  warnBytes: number;
  /** EMF metrics lines: one per invocation. */
  metricsBytes: number;
  /** The first line of each message, to show what was counted. */
  readonly samples: Map<string, string>;
}

/**
 * Counts the bytes of the JSON log lines this process writes (Powertools writes each line to
 * stdout or stderr whole), by the `service` each line names. Answers a function that stops counting.
 */
function countLogLines(tallies: Map<string, LogTally>): () => void {
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const tap = (stream: NodeJS.WriteStream, original: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      for (const line of String(chunk).split('\n')) {
        if (!line.startsWith('{')) continue;
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue;
        }
        const service = String(parsed.service ?? 'unknown');
        const tally = tallies.get(service) ?? {
          lines: 0,
          bytes: 0,
          warnBytes: 0,
          metricsBytes: 0,
          samples: new Map(),
        };
        tallies.set(service, tally);
        const bytes = Buffer.byteLength(line) + 1;
        tally.lines += 1;
        tally.bytes += bytes;
        if ('_aws' in parsed) tally.metricsBytes += bytes;
        else if (/^(WARN|ERROR|CRITICAL)$/.test(String(parsed.level))) tally.warnBytes += bytes;
        const message = '_aws' in parsed ? '(EMF metrics)' : String(parsed.message);
        if (!tally.samples.has(message)) tally.samples.set(message, line);
      }
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = tap(process.stdout, originals.out);
  process.stderr.write = tap(process.stderr, originals.err);
  return () => {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
  };
}

/**
 * A function's log bytes per event and per invocation. The EMF metrics line is written once per
 * invocation; so is, in the processor, each other line written once per batch (`perBatchMessages`).
 */
function logBytes(
  tally: LogTally | undefined,
  events: number,
  invocations: number,
  perBatchMessages: RegExp,
): LogBytes {
  if (!tally) return { info: { perEvent: 0, perInvocation: 0 }, warn: { perEvent: 0, perInvocation: 0 } };
  let perBatch = 0;
  for (const [message, line] of tally.samples)
    if (message !== '(EMF metrics)' && perBatchMessages.test(message)) perBatch = Buffer.byteLength(line) + 1;
  const infoPerEvent = (tally.bytes - tally.metricsBytes - perBatch * invocations) / events;
  const metricsPerInvocation = tally.metricsBytes / invocations;
  return {
    info: { perEvent: round(infoPerEvent), perInvocation: round(metricsPerInvocation + perBatch) },
    warn: { perEvent: round(tally.warnBytes / events), perInvocation: round(metricsPerInvocation) },
  };
}

/**
 * The access-log line API Gateway writes for a typical webhook request: the stage's format
 * (`lib/receiver/api.ts`) filled with typical values (a missing value is written as `-`).
 */
export function accessLogLine(): string {
  const typical: Record<string, string> = {
    '$context.requestId': 'JQ3xkgWkoAMEbVw=',
    '$context.identity.sourceIp': '203.0.113.45',
    '$context.identity.userAgent': 'Svix-Webhooks/1.76.1 (sender-6ZrXa; +https://www.svix.com/http-sources/)',
    '$context.routeKey': `POST ${WEBHOOK_PATH}`,
    '$context.status': '202',
    '$context.responseLatency': '31',
    '$context.integrationLatency': '29',
  };
  return `${ACCESS_LOG_FORMAT.toString().replace(/\$context\.[A-Za-z.]+/g, (name) => typical[name] ?? '-')}\n`;
}

/** Which function an AWS call comes from, set around each handler's invocation. */
const callers = new AsyncLocalStorage<'verifier' | 'processor'>();

/**
 * Tags each HTTP request this process sends inside a handler's invocation with the function that
 * sent it (`x-bench-caller`), so that the proxies count by function whatever tables and queues the
 * handlers use. The SDK's HTTP handler looks `request` up on the module when it sends.
 */
function tagCallers(): () => void {
  const original = http.request;
  http.request = ((...args: Parameters<typeof http.request>) => {
    const sent = original(...args);
    const caller = callers.getStore();
    if (caller) sent.setHeader('x-bench-caller', caller);
    return sent;
  }) as typeof http.request;
  return () => {
    http.request = original;
  };
}

/** The counting proxies in front of DynamoDB Local and fauxqs, and the emulators behind them. */
async function startCountedEmulators() {
  const dynamodb = await startDynamoDbLocal();
  const fauxqs = await startChild(FAUXQS);
  const dynamodbProxy = await startChild(COUNTING_PROXY, [dynamodb.endpoint]);
  const sqsProxy = await startChild(COUNTING_PROXY, [`http://127.0.0.1:${fauxqs.port}`]);
  const counts = async () => {
    const [d, q] = [await readCounts(dynamodbProxy.child), await readCounts(sqsProxy.child)];
    return { ...q, calls: { ...d.calls, ...q.calls }, units: d.units };
  };
  const stop = async () => {
    for (const child of [dynamodbProxy.child, sqsProxy.child, fauxqs.child]) child.kill();
    await dynamodb.stop();
  };
  return { dynamodb, fauxqs, dynamodbProxy, sqsProxy, counts, stop };
}

/** DynamoDB units per event of one caller's calls of one kind, on the tables `table` accepts. */
function unitsOf(
  units: Record<string, number>,
  caller: 'verifier' | 'processor',
  kind: 'read' | 'write',
  events: number,
  table: (name: string) => boolean = () => true,
): number {
  const total = Object.entries(units)
    .filter(([key]) => {
      const [who, name, what] = key.split(' ');
      return who === caller && what === kind && table(name!);
    })
    .reduce((sum, [, n]) => sum + n, 0);
  return roundTo(total / events, 3);
}

/** A caller's calls per event, all operations. */
function callsOf(calls: Record<string, number>, caller: string, events: number): number {
  const total = Object.entries(calls)
    .filter(([key]) => key.startsWith(`${caller} `))
    .reduce((sum, [, n]) => sum + n, 0);
  return roundTo(total / events, 3);
}

/** The connection registry's table (its rules included): processing. */
const isConnections = (table: string) => table.endsWith('-connections');
/** Every other table the processor reads or writes: the processed-events record. */
const isRecord = (table: string) => !isConnections(table);

/** The load the costs are counted under: 2 KB events, one lifecycle event in ten. */
const COUNTED_LOAD = { eventSizeBytes: 2048, lifecycleEvery: 10 } as const;

/** The pipeline under load, its CPU per event by process and its AWS calls per event. */
async function pipelineCosts(
  connections: number,
  eventsPerConnection: number,
  log: (line: string) => void,
): Promise<CostResults['pipeline'] & { counted: CountedCosts }> {
  const emulators = await startCountedEmulators();
  const untag = tagCallers();
  const secret = generateSvixSecret();
  const observer = new PipelineObserver();
  const { pipeline, invocations, verifierMs } = await startCostedPipeline(emulators, secret, observer);
  const tallies = new Map<string, LogTally>();
  try {
    // A warm-up at the same load, so that modules, connections and the JVM's compiler are warm.
    const load = { connections, ...COUNTED_LOAD };
    await driveLoad(pipeline.url, secret, observer, { ...load, eventsPerConnection: 10 }, 'warm');
    const before = await costSnapshot(emulators, invocations);
    verifierMs.length = 0;
    const stopCounting = countLogLines(tallies);
    let result: Awaited<ReturnType<typeof driveLoad>>['result'];
    try {
      ({ result } = await driveLoad(pipeline.url, secret, observer, { ...load, eventsPerConnection }, 'run'));
    } finally {
      stopCounting();
    }
    const node = process.cpuUsage(before.node);
    const java = cpuMs(emulators.dynamodb.process.pid) - before.java;
    const fauxqsMs = cpuMs(emulators.fauxqs.child.pid) - before.fauxqs;
    const after = await emulators.counts();
    const events = result.events;
    const calls = countsSince(after.calls, before.counts.calls);
    const processorInvocations = invocations.processor - before.invocations.processor;
    const messagesPerBatch = round(
      (invocations.messages - before.invocations.messages) / processorInvocations,
    );
    const cpuMsPerEvent = {
      node: round((node.user + node.system) / 1000 / events),
      java: round(java / events),
      fauxqs: round(fauxqsMs / events),
    };
    log(
      `  pipeline: ${Math.round(result.eventsPerSecond)} events/s; CPU ms per event: node ${cpuMsPerEvent.node}, java ${cpuMsPerEvent.java}, fauxqs ${cpuMsPerEvent.fauxqs}; ${messagesPerBatch} messages per batch`,
    );
    for (const [service, tally] of tallies)
      for (const [message, line] of tally.samples)
        log(`  log line, ${service}: ${Buffer.byteLength(line) + 1} B "${message}"`);
    return {
      connections,
      events,
      eventsPerSecond: result.eventsPerSecond,
      cpuMsPerEvent,
      callsPerEvent: perEventCounts(calls, events),
      messagesPerBatch,
      counted: countedCosts({
        events,
        before: before.counts,
        after,
        verifierMs,
        tallies,
        processorInvocations,
      }),
    };
  } finally {
    await pipeline.stop();
    await emulators.stop();
    untag();
  }
}

type CountedEmulators = Awaited<ReturnType<typeof startCountedEmulators>>;
type EmulatorCounts = Awaited<ReturnType<CountedEmulators['counts']>>;

/**
 * The local pipeline behind the counting proxies, each function's calls tagged with its name,
 * the verifier's invocations timed and the processor's batches counted.
 */
async function startCostedPipeline(emulators: CountedEmulators, secret: string, observer: PipelineObserver) {
  const invocations = { processor: 0, messages: 0 };
  /** Each verifier invocation's wall time on the local pipeline (emulators, shared cores). */
  const verifierMs: number[] = [];
  // Each function's EMF metrics line is part of its log bytes.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const pipeline = await startLocalPipeline({
    port: 0,
    secrets: [secret],
    endpoints: {
      dynamodb: `http://127.0.0.1:${emulators.dynamodbProxy.port}`,
      sqs: `http://127.0.0.1:${emulators.sqsProxy.port}`,
    },
    prefix: `costs-${randomBytes(3).toString('hex')}`,
    // The stack's default level, whatever the shell says: the priced INFO lines are the deployed ones.
    env: { [POWERTOOLS_ENVIRONMENT.logLevel]: RECEIVER_DEFAULTS.logLevel },
    verifier: (module) => async (event, context) => {
      const started = performance.now();
      try {
        return await callers.run('verifier', () => module.handler(event, context));
      } finally {
        verifierMs.push(performance.now() - started);
      }
    },
    processor: (module, defaults) => {
      const handler = observer.wrap(module.createProcessorHandler(defaults));
      return (event, context) => {
        invocations.processor += 1;
        invocations.messages += event.Records.length;
        return callers.run('processor', () => handler(event, context));
      };
    },
  });
  return { pipeline, invocations, verifierMs };
}

/** The CPU the processes have used so far, the proxies' counts and the processor's invocations. */
async function costSnapshot(
  emulators: CountedEmulators,
  invocations: { processor: number; messages: number },
) {
  return {
    node: process.cpuUsage(),
    java: cpuMs(emulators.dynamodb.process.pid),
    fauxqs: cpuMs(emulators.fauxqs.child.pid),
    counts: await emulators.counts(),
    invocations: { ...invocations },
  };
}

/** Each count's growth from `before` to `after`. */
function countsSince(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, n]) => [key, n - (before[key] ?? 0)]));
}

/** Each operation's calls per event, leaving out those that round to none. */
function perEventCounts(calls: Record<string, number>, events: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(calls)
      .map(([operation, count]) => [operation, round(count / events)] as const)
      .filter(([, perEvent]) => perEvent > 0),
  );
}

/** What AWS would bill per event, counted in the measured run: the figures the cost tables price. */
function countedCosts(run: {
  readonly events: number;
  readonly before: EmulatorCounts;
  readonly after: EmulatorCounts;
  readonly verifierMs: readonly number[];
  readonly tallies: Map<string, LogTally>;
  readonly processorInvocations: number;
}): CountedCosts {
  const { events, before, after, tallies } = run;
  const calls = countsSince(after.calls, before.calls);
  const units = countsSince(after.units, before.units);
  return {
    date: new Date().toISOString(),
    events,
    ...COUNTED_LOAD,
    dynamodb: {
      verifierWrite: unitsOf(units, 'verifier', 'write', events),
      verifierRead: unitsOf(units, 'verifier', 'read', events),
      connectionsWrite: unitsOf(units, 'processor', 'write', events, isConnections),
      connectionsRead: unitsOf(units, 'processor', 'read', events, isConnections),
      recordWrite: unitsOf(units, 'processor', 'write', events, isRecord),
      recordRead: unitsOf(units, 'processor', 'read', events, isRecord),
    },
    verifierCallsPerEvent: callsOf(calls, 'verifier', events),
    verifierLocalMs: round(median(run.verifierMs)),
    sqsSendRequests: roundTo(
      ((after.sqsBilled['verifier SendMessage'] ?? 0) - (before.sqsBilled['verifier SendMessage'] ?? 0)) /
        events,
      3,
    ),
    archive: {
      bytes: round((after.archive.bytes - before.archive.bytes) / events),
      firehoseBilledBytes: round(
        (after.archive.firehoseBilledBytes - before.archive.firehoseBilledBytes) / events,
      ),
    },
    accessLogBytes: Buffer.byteLength(accessLogLine()),
    logs: {
      // One verifier invocation per delivery.
      verifier: logBytes(tallies.get(SERVICE_NAMES.verifier), events, events, /^$/),
      processor: logBytes(tallies.get(SERVICE_NAMES.processor), events, run.processorInvocations, /^batch /),
    },
  };
}

/** The JVM's CPU per DynamoDB Local call, from a bare HTTP client (no SDK), after a warm-up round. */
async function dynamodbLocalFloor(callsPerOperation: number): Promise<CostResults['dynamodbLocal']> {
  const dynamodb = await startDynamoDbLocal();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const call = bareDynamoDbCall(new URL(dynamodb.endpoint), agent);
  const table = 'bench-floor';
  await call('CreateTable', {
    TableName: table,
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const rows: Array<CostResults['dynamodbLocal'][number]> = [];
  try {
    for (const round of ['warm-up', 'measured']) {
      for (const [name, shape] of Object.entries(floorOperations(table))) {
        let next = 0;
        const javaBefore = cpuMs(dynamodb.process.pid);
        const started = performance.now();
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < callsPerOperation) {
              const [operation, body] = shape(`${round}-${next++}`);
              await call(operation, body);
            }
          }),
        );
        if (round === 'measured')
          rows.push({
            operation: name,
            javaMsPerCall: roundTo((cpuMs(dynamodb.process.pid) - javaBefore) / callsPerOperation, 3),
            callsPerSecond: Math.round(callsPerOperation / ((performance.now() - started) / 1000)),
          });
      }
    }
  } finally {
    agent.destroy();
    await dynamodb.stop();
  }
  return rows;
}

/** One DynamoDB JSON call over plain HTTP, signed with a dummy signature (DynamoDB Local checks none). */
function bareDynamoDbCall(url: URL, agent: Agent): (operation: string, body: object) => Promise<void> {
  return (operation, body) =>
    new Promise<void>((resolve, reject) => {
      const data = JSON.stringify(body);
      const sent = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            authorization:
              'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'content-length': Buffer.byteLength(data),
          },
        },
        (answer) => {
          answer.resume();
          answer.on('end', () =>
            answer.statusCode === 200
              ? resolve()
              : reject(new Error(`${operation}: HTTP ${answer.statusCode}`)),
          );
        },
      );
      sent.on('error', reject);
      sent.end(data);
    });
}

/** The shapes of the handlers' calls: the record's conditional update, an update, a consistent read. */
function floorOperations(table: string): Record<string, (key: string) => [string, object]> {
  return {
    'PutItem (conditional)': (key) => [
      'PutItem',
      {
        TableName: table,
        Item: { id: { S: key }, status: { S: 'INPROGRESS' }, expiration: { N: '4102444800' } },
        ConditionExpression: 'attribute_not_exists(#id) OR #expiry < :now',
        ExpressionAttributeNames: { '#id': 'id', '#expiry': 'expiration' },
        ExpressionAttributeValues: { ':now': { N: '1700000000' } },
      },
    ],
    UpdateItem: (key) => [
      'UpdateItem',
      {
        TableName: table,
        Key: { id: { S: key } },
        UpdateExpression: 'SET #status = :done',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': { S: 'COMPLETED' } },
      },
    ],
    'GetItem (consistent)': (key) => [
      'GetItem',
      { TableName: table, Key: { id: { S: key } }, ConsistentRead: true },
    ],
  };
}

/** This process's CPU per SDK call against a trivial server, beside a bare HTTP request. */
async function sdkCosts(calls: number): Promise<CostResults['sdk']> {
  const server = await startTrivialAwsServer();
  const { port } = server.address() as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const dynamodb = new DynamoDBClient({ ...LOCAL, endpoint });
  const sqs = new SQSClient({ ...LOCAL, endpoint });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const kinds = sdkCallKinds(endpoint, { dynamodb, sqs, agent });
  const rows: Array<CostResults['sdk'][number]> = [];
  try {
    for (const round of ['warm-up', 'measured']) {
      for (const [name, send] of Object.entries(kinds)) {
        let next = 0;
        const before = process.cpuUsage();
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next++ < calls) await send();
          }),
        );
        const used = process.cpuUsage(before);
        if (round === 'measured')
          rows.push({ call: name, nodeMsPerCall: roundTo((used.user + used.system) / 1000 / calls, 3) });
      }
    }
  } finally {
    dynamodb.destroy();
    sqs.destroy();
    agent.destroy();
    server.close();
  }
  return rows;
}

/** An in-process server that answers every AWS JSON call at once (`SendMessage` with its MD5). */
async function startTrivialAwsServer(): Promise<http.Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let answer = '{}';
      if (target.endsWith('SendMessage')) {
        const body = JSON.parse(Buffer.concat(chunks).toString()).MessageBody as string;
        answer = JSON.stringify({
          MessageId: 'bench',
          MD5OfMessageBody: createHash('md5').update(body).digest('hex'),
        });
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The calls the functions make, each sent by the SDK, and one bare HTTP request to compare. */
function sdkCallKinds(
  endpoint: string,
  { dynamodb, sqs, agent }: { dynamodb: DynamoDBClient; sqs: SQSClient; agent: Agent },
): Record<string, () => Promise<unknown>> {
  const body1k = 'x'.repeat(1024);
  return {
    'bare HTTP request (no SDK)': () =>
      new Promise<void>((resolve, reject) => {
        const sent = request(
          endpoint,
          { method: 'POST', agent, headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' } },
          (answer) => {
            answer.resume();
            answer.on('end', () => resolve());
          },
        );
        sent.on('error', reject);
        sent.end('{"TableName":"t","Key":{"id":{"S":"x"}}}');
      }),
    'DynamoDB GetItem': () =>
      dynamodb.send(new GetItemCommand({ TableName: 'bench', Key: { id: { S: 'x' } } })),
    'DynamoDB PutItem': () =>
      dynamodb.send(
        new PutItemCommand({
          TableName: 'bench',
          Item: { id: { S: 'x' }, status: { S: 'INPROGRESS' } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      ),
    'DynamoDB UpdateItem': () =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName: 'bench',
          Key: { id: { S: 'x' } },
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: 'COMPLETED' } },
        }),
      ),
    'SQS SendMessage (1 KB)': () =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: `${endpoint}/000000000000/bench.fifo`,
          MessageBody: body1k,
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        }),
      ),
  };
}

const round = (value: number) => roundTo(value, 2);
function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Measures the three, one after another, and the ceiling they imply. */
export async function benchCosts(quick: boolean, log: (line: string) => void): Promise<CostResults> {
  log('  DynamoDB Local per call (bare client)…');
  const dynamodbLocal = await dynamodbLocalFloor(quick ? 1000 : 5000);
  log('  AWS SDK per call (trivial server)…');
  const sdk = await sdkCosts(quick ? 500 : 3000);
  log('  pipeline CPU per event by process…');
  const { counted, ...pipeline } = await pipelineCosts(20, quick ? 20 : 60, log);
  const cores = cpus().length;
  const perEvent = pipeline.cpuMsPerEvent.node + pipeline.cpuMsPerEvent.java + pipeline.cpuMsPerEvent.fauxqs;
  return {
    pipeline,
    counted,
    dynamodbLocal,
    sdk,
    cores,
    ceilingEventsPerSecond: Math.round((cores * 1000) / perEvent),
  };
}
