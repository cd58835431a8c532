/**
 * The processor's bundle, built by the construct itself (`OFAuthWebhookReceiver` with `eventBus`,
 * synthesized with real esbuild bundling), run in a Node process of its own as Lambda runs it, with
 * the environment the construct gives it: DynamoDB Local for its tables, and the recording bus for
 * EventBridge (`AWS_ENDPOINT_URL_EVENTBRIDGE`). No implementation of EventBridge with rules and
 * targets runs on these machines, so the bus is the recorder that speaks PutEvents' published
 * request and response shapes (checked through the SDK in local-event-bus.test.ts); what is shown
 * is what the bundle sends and how often, not what a rule would route.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EVENT_SOURCE } from '../../lambda/processor/event-bus.ts';
import { OFAuthWebhookReceiver } from '../../lib/index.ts';
import { type LocalEventBus, startLocalEventBus } from '../../local/event-bus.ts';
import { LOCAL_CREDENTIALS } from '../../local/state.ts';
import { sqsEvent, sqsRecord } from '../../testing/sqs.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { logicalIdOf, newApp } from '../infra/support/synth.ts';
import { RUN_BUNDLE } from '../package/support/scratch-app.ts';
import { createTestResources } from '../support/emulators.ts';

const run = promisify(execFile);
const BUS_NAME = 'ofauth-bundle-test';

let dir: string;
let bundle: string;
let bus: LocalEventBus;
let environment: Record<string, string>;

/** The processor's variables as the construct sets them, its references filled with local values. */
function processorEnvironment(
  variables: Record<string, unknown>,
  local: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      // A reference to a resource of the stack: its local counterpart, or the test says which is missing.
      if (!(name in local))
        throw new Error(`no local value for the processor's ${name}: ${JSON.stringify(value)}`);
      return [name, local[name]!];
    }),
  );
}

beforeAll(async () => {
  // GIVEN the processor bundle the construct builds when it is given a bus
  dir = await mkdtemp(join(tmpdir(), 'ofauth-bundle-bus-'));
  const app = newApp({ bundle: true });
  const stack = new Stack(app, 'BundleUnderTest', { env: { region: 'us-east-1' } });
  new OFAuthWebhookReceiver(stack, 'Receiver', {
    eventBus: new EventBus(stack, 'Bus', { eventBusName: BUS_NAME }),
    archive: false,
  });
  const template = Template.fromStack(stack);
  const fn = template.toJSON().Resources[logicalIdOf(template, 'AWS::Lambda::Function', 'ReceiverProcessor')];
  bundle = join(app.outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
  await writeFile(join(dir, 'run-bundle.mjs'), RUN_BUNDLE);

  // AND its tables in DynamoDB Local, and the recording bus for EventBridge
  const resources = await createTestResources();
  bus = await startLocalEventBus();
  environment = processorEnvironment(fn.Properties.Environment.Variables, {
    CONNECTIONS_TABLE_NAME: resources.connectionsTableName,
    PROCESSED_EVENTS_TABLE_NAME: resources.processedEventsTableName,
    DEAD_LETTER_QUEUE_URL: resources.deadLetterQueueUrl,
    EVENT_BUS_NAME: BUS_NAME,
  });
}, 180_000);

afterAll(async () => {
  await bus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the bundle on one SQS event in a fresh Node process, as a cold Lambda would; its answer. */
async function invoke(event: SQSEvent): Promise<SQSBatchResponse> {
  const eventFile = join(dir, `event-${Date.now()}.json`);
  const resultFile = `${eventFile}.result.json`;
  await writeFile(eventFile, JSON.stringify(event));
  const { PATH, HOME, SystemRoot } = process.env;
  await run(process.execPath, [join(dir, 'run-bundle.mjs'), bundle, eventFile, resultFile], {
    env: {
      ...(PATH && { PATH }),
      ...(HOME && { HOME }),
      ...(SystemRoot && { SystemRoot }),
      ...environment,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TEST_DYNAMODB_ENDPOINT!,
      AWS_ENDPOINT_URL_SQS: process.env.TEST_SQS_ENDPOINT!,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'ofauth-processor',
    },
  });
  return JSON.parse(await readFile(resultFile, 'utf8')) as SQSBatchResponse;
}

const published = (eventKey: string) =>
  bus.events.filter((event) => (event.detail as { eventKey?: string }).eventKey === eventKey);

describe("the construct's processor bundle against the recording EventBridge endpoint", () => {
  it('is given the bus by the construct, and publishes each processed event once with its fields', async () => {
    // GIVEN the construct named the bus to the processor
    expect(environment.EVENT_BUS_NAME).toBe(BUS_NAME);
    // AND a batch of two events of one connection and one of another, as the queue hands them on
    const suffix = Date.now();
    const records = [
      sqsRecord({
        body: connectionEvent('connection.created', { connectionId: `conn_bundle_a_${suffix}` }),
        eventKey: `msg_bundle_1_${suffix}`,
      }),
      sqsRecord({
        body: connectionEvent('connection.updated', { connectionId: `conn_bundle_a_${suffix}` }),
        eventKey: `msg_bundle_2_${suffix}`,
      }),
      sqsRecord({
        body: connectionEvent('connection.created', { connectionId: `conn_bundle_b_${suffix}` }),
        eventKey: `msg_bundle_3_${suffix}`,
      }),
    ];

    // WHEN the bundle processes the batch
    const answer = await invoke(sqsEvent(...records));

    // THEN every record succeeded and each event reached the bus once, with source, type and detail
    expect(answer.batchItemFailures).toEqual([]);
    for (const [index, type] of [
      'connection.created',
      'connection.updated',
      'connection.created',
    ].entries()) {
      const eventKey = `msg_bundle_${index + 1}_${suffix}`;
      expect(published(eventKey)).toEqual([
        expect.objectContaining({
          source: EVENT_SOURCE,
          detailType: type,
          eventBusName: BUS_NAME,
          detail: expect.objectContaining({
            eventKey,
            connectionId: index === 2 ? `conn_bundle_b_${suffix}` : `conn_bundle_a_${suffix}`,
            event: expect.objectContaining({ type }),
            eventTime: expect.any(String),
            replay: false,
          }),
        }),
      ]);
    }

    // WHEN the same batch is delivered again (a redelivery after a lost answer), to a new environment
    const again = await invoke(sqsEvent(...records));

    // THEN it succeeds and publishes nothing new
    expect(again.batchItemFailures).toEqual([]);
    for (const index of [1, 2, 3]) expect(published(`msg_bundle_${index}_${suffix}`)).toHaveLength(1);
  }, 120_000);
});
