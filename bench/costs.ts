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
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { cpus } from 'node:os';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startDynamoDbLocal } from '../local/emulators/index.ts';
import { startLocalPipeline } from '../local/pipeline.ts';
import { newSvixSecret } from './lib/deliveries.ts';
import { driveLoad, PipelineObserver } from './pipeline.ts';

/** What `npm run bench -- --only costs` measures. */
export interface CostResults {
  readonly pipeline: {
    readonly connections: number;
    readonly events: number;
    readonly eventsPerSecond: number;
    /** CPU milliseconds per event, by process. */
    readonly cpuMsPerEvent: { readonly node: number; readonly java: number; readonly fauxqs: number };
    /** AWS calls per event, by operation. */
    readonly callsPerEvent: Readonly<Record<string, number>>;
  };
  readonly dynamodbLocal: ReadonlyArray<{
    readonly operation: string;
    readonly javaMsPerCall: number;
    readonly callsPerSecond: number;
  }>;
  readonly sdk: ReadonlyArray<{ readonly call: string; readonly nodeMsPerCall: number }>;
  readonly cores: number;
  /** cores × 1000 / (CPU ms per event, all processes). */
  readonly ceilingEventsPerSecond: number;
}

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

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

/** A pass-through proxy that counts requests by operation; any stdin byte prints the counts. */
const COUNTING_PROXY = `
  import http from 'node:http';
  const target = new URL(process.argv[1]);
  const counts = {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const operation = req.headers['x-amz-target']?.split('.').pop()
      ?? (req.url.startsWith('/?') || req.url === '/' ? 'SQS ' + req.method : 'S3 ' + req.method);
    counts[operation] = (counts[operation] ?? 0) + 1;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => { res.writeHead(answer.statusCode, answer.headers); answer.pipe(res); },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  process.stdin.on('data', () => process.stdout.write(JSON.stringify(counts) + '\\n'));`;

async function readCounts(proxy: ChildProcess): Promise<Record<string, number>> {
  const answer = new Promise<string>((resolve) =>
    proxy.stdout!.once('data', (chunk: Buffer) => resolve(String(chunk))),
  );
  proxy.stdin!.write('?');
  return JSON.parse(await answer);
}

/** The pipeline under load, its CPU per event by process and its AWS calls per event. */
async function pipelineCosts(
  connections: number,
  eventsPerConnection: number,
  log: (line: string) => void,
): Promise<CostResults['pipeline']> {
  const dynamodb = await startDynamoDbLocal();
  const fauxqs = await startChild(FAUXQS);
  const dynamodbProxy = await startChild(COUNTING_PROXY, [dynamodb.endpoint]);
  const sqsProxy = await startChild(COUNTING_PROXY, [`http://127.0.0.1:${fauxqs.port}`]);
  const secret = newSvixSecret();
  const observer = new PipelineObserver();
  const pipeline = await startLocalPipeline({
    port: 0,
    secrets: [secret],
    endpoints: {
      dynamodb: `http://127.0.0.1:${dynamodbProxy.port}`,
      sqs: `http://127.0.0.1:${sqsProxy.port}`,
    },
    prefix: `costs-${randomBytes(3).toString('hex')}`,
    processor: (module, defaults) => observer.wrap(module.createProcessorHandler(defaults)),
  });
  try {
    // A warm-up at the same load, so that modules, connections and the JVM's compiler are warm.
    await driveLoad(pipeline.url, secret, observer, { connections, eventsPerConnection: 10 }, 'warm');
    const before = {
      node: process.cpuUsage(),
      java: cpuMs(dynamodb.process.pid),
      fauxqs: cpuMs(fauxqs.child.pid),
      calls: { ...(await readCounts(dynamodbProxy.child)), ...(await readCounts(sqsProxy.child)) },
    };
    const { result } = await driveLoad(
      pipeline.url,
      secret,
      observer,
      { connections, eventsPerConnection },
      'run',
    );
    const node = process.cpuUsage(before.node);
    const java = cpuMs(dynamodb.process.pid) - before.java;
    const fauxqsMs = cpuMs(fauxqs.child.pid) - before.fauxqs;
    const after = { ...(await readCounts(dynamodbProxy.child)), ...(await readCounts(sqsProxy.child)) };
    const events = result.events;
    const callsPerEvent = Object.fromEntries(
      Object.entries(after)
        .map(
          ([operation, count]) =>
            [operation, round((count - (before.calls[operation] ?? 0)) / events)] as const,
        )
        .filter(([, perEvent]) => perEvent > 0),
    );
    const cpuMsPerEvent = {
      node: round((node.user + node.system) / 1000 / events),
      java: round(java / events),
      fauxqs: round(fauxqsMs / events),
    };
    log(
      `  pipeline: ${Math.round(result.eventsPerSecond)} events/s; CPU ms per event: node ${cpuMsPerEvent.node}, java ${cpuMsPerEvent.java}, fauxqs ${cpuMsPerEvent.fauxqs}`,
    );
    return { connections, events, eventsPerSecond: result.eventsPerSecond, cpuMsPerEvent, callsPerEvent };
  } finally {
    await pipeline.stop();
    for (const child of [dynamodbProxy.child, sqsProxy.child, fauxqs.child]) child.kill();
    await dynamodb.stop();
  }
}

/** The JVM's CPU per DynamoDB Local call, from a bare HTTP client (no SDK), after a warm-up round. */
async function dynamodbLocalFloor(callsPerOperation: number): Promise<CostResults['dynamodbLocal']> {
  const dynamodb = await startDynamoDbLocal();
  const url = new URL(dynamodb.endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const call = (operation: string, body: object) =>
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
  const table = 'bench-floor';
  await call('CreateTable', {
    TableName: table,
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  // The shapes of the handlers' calls: the ledger's conditional put, an update, a consistent read.
  const operations: Record<string, (key: string) => [string, object]> = {
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
  const rows: Array<CostResults['dynamodbLocal'][number]> = [];
  try {
    for (const round of ['warm-up', 'measured']) {
      for (const [name, shape] of Object.entries(operations)) {
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

/** This process's CPU per SDK call against a trivial server, beside a bare HTTP request. */
async function sdkCosts(calls: number): Promise<CostResults['sdk']> {
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
  const { port } = server.address() as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const dynamodb = new DynamoDBClient({ ...LOCAL, endpoint });
  const sqs = new SQSClient({ ...LOCAL, endpoint });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const body1k = 'x'.repeat(1024);
  const kinds: Record<string, () => Promise<unknown>> = {
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
  const pipeline = await pipelineCosts(20, quick ? 20 : 60, log);
  const cores = cpus().length;
  const perEvent = pipeline.cpuMsPerEvent.node + pipeline.cpuMsPerEvent.java + pipeline.cpuMsPerEvent.fauxqs;
  return {
    pipeline,
    dynamodbLocal,
    sdk,
    cores,
    ceilingEventsPerSecond: Math.round((cores * 1000) / perEvent),
  };
}
