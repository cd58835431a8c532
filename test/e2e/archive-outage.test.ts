/**
 * An archive outage during ingest, end to end on the local pipeline: the archive bucket disappears
 * (every write fails, as when Firehose or S3 is down), deliveries keep arriving. Documented
 * answer: the sender still gets 202 (the archive is not on its path); the events wait on the queue
 * unprocessed, are retried, and once the archive is back each is archived and handled once, in
 * order. Nothing is lost, nothing reaches the dead-letter queue within the retries.
 */
import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { readArchive } from '../../cli/archive-reader.ts';
import type { EventHandler, EventHandlers } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { deliver, eventually, startTestPipeline, uniqueConnectionId } from './pipeline-support.ts';

let pipeline: LocalPipeline;
let output: CapturedOutput;
const handled: Array<{ connectionId: string | undefined; step: string | undefined }> = [];

beforeAll(async () => {
  output = captureStdout();
  const onUpdated: EventHandler<RealtimeEvent<'connection.updated'>> = (event) => {
    handled.push({ connectionId: event.connectionId, step: event.data.connection.permissions?.[0] });
  };
  // GIVEN the local pipeline with quick retries and room for them before the dead-letter queue
  pipeline = await startTestPipeline({
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: 30,
    processor: (module) =>
      module.createProcessorHandler({
        handlers: { 'connection.updated': onUpdated } as Partial<EventHandlers>,
        logger: testLogger(),
      }),
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  output?.restore();
});

async function deadLetters(): Promise<number> {
  const { Attributes } = await pipeline.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: pipeline.resources.deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

it('answers 202 during the outage, holds the events on the queue, then archives and handles each once, in order', async () => {
  const bucket = pipeline.resources.archive!;
  // GIVEN the archive is down
  await pipeline.clients.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  // WHEN 2 connections deliver 4 updates each
  const connections = [uniqueConnectionId('outageA'), uniqueConnectionId('outageB')];
  const base = Date.now();
  const statuses = await Promise.all(
    connections.map(async (connectionId) => {
      const answers: number[] = [];
      for (let step = 0; step < 4; step++) {
        const event = connectionEvent('connection.updated', {
          connectionId,
          timestamp: new Date(base + step * 1000).toISOString(),
          permissions: [`step:${step}`],
        });
        answers.push((await deliver(pipeline, event)).status);
      }
      return answers;
    }),
  );
  // THEN the sender gets 202 for every delivery
  expect(statuses.flat()).toEqual(Array(8).fill(202));
  // AND no handler runs while the archive is down, and the failed writes are logged for the alarm
  await eventually(
    () =>
      output.logs('archive write failed; these events will be retried before their handlers run').length >= 3
        ? true
        : undefined,
    15_000,
    'repeated archive failures',
  );
  expect(handled).toEqual([]);

  // WHEN the archive comes back
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // THEN every event is handled exactly once, in order per connection
  await eventually(() => (handled.length >= 8 ? true : undefined), 30_000, 'all 8 events handled');
  await new Promise((wake) => setTimeout(wake, 2000));
  for (const connectionId of connections) {
    expect(handled.filter((h) => h.connectionId === connectionId).map((h) => h.step)).toEqual([
      'step:0',
      'step:1',
      'step:2',
      'step:3',
    ]);
  }
  expect(handled).toHaveLength(8);
  // AND all of them are in the archive, and none went to the dead-letter queue
  const archived = await readArchive(pipeline.clients.s3, bucket, {
    since: new Date(base - 60_000),
    until: new Date(),
    maxQueueDelayMs: 0,
    connections: new Set(connections),
  });
  expect(archived.events).toHaveLength(8);
  expect(await deadLetters()).toBe(0);
}, 90_000);
