/**
 * A redrive and a replay against the registry, end to end on the local pipeline (DynamoDB Local
 * and fauxqs): an event of one second that failed its attempts, went to the dead-letter queue and
 * is moved back after a newer event of the same second was processed must not roll the registry
 * back, although the queue gives it a new, larger sequence number. The move is SQS's own redrive
 * as the console and `StartMessageMoveTask` do it, the same body and message attributes (fauxqs
 * has no move task: `local/move-messages.ts` receives, sends and deletes, with a deduplication id
 * of its own); the replay is `replay`'s own send (`cli/replay-send.ts`) of an archived copy.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { parseArchiveObject, replayGroups } from '../../cli/archive-reader.ts';
import { sendReplay } from '../../cli/replay-send.ts';
import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import type { EventHandler, EventHandlers } from '../../lambda/processor/router.ts';
import type { ConnectionEventType, RealtimeEvent } from '../../lambda/shared/event-model.ts';
import type { ArchivedEvent } from '../../lambda/shared/queue-message.ts';
import { redriveMessages } from '../../local/move-messages.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { connectionEvent } from '../fixtures/events.ts';
import {
  connectionItem,
  deliver,
  eventually,
  startTestPipeline,
  uniqueConnectionId,
} from './pipeline-support.ts';

/** One handler run that completed. */
interface Run {
  readonly eventId: string;
  readonly type: string;
  readonly connectionId: string | undefined;
  readonly replay: boolean;
}

const CONNECTION_TYPES: readonly ConnectionEventType[] = [
  'connection.created',
  'connection.updated',
  'connection.expired',
];

/** How long to wait for the pipeline (it shares 2 cores with other suites). */
const WAIT_MS = 30_000;

let pipeline: LocalPipeline;
const runs: Run[] = [];
/** `<connection id> <type>` pairs whose handler fails until removed. */
const failing = new Set<string>();

beforeAll(async () => {
  // GIVEN the local pipeline with the default connection handlers, each failing while its
  // connection and type are marked failing and noting every run that completed; 2 receives before
  // the dead-letter queue, 1-second visibility timeout
  const wrapped = Object.fromEntries(
    CONNECTION_TYPES.map((type) => [
      type,
      (async (event, context) => {
        if (failing.has(`${event.connectionId} ${type}`)) throw new Error('failing on purpose');
        await (defaultHandlers[type] as EventHandler)(event, context);
        runs.push({
          eventId: context.eventId,
          type,
          connectionId: event.connectionId,
          replay: context.replay,
        });
      }) satisfies EventHandler<RealtimeEvent>,
    ]),
  ) as Partial<EventHandlers>;
  pipeline = await startTestPipeline({
    maxReceiveCount: 2,
    visibilityTimeoutSeconds: 1,
    processor: (module) => module.createProcessorHandler({ handlers: wrapped }),
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
});

/** A whole second 10 s ago: OFAuth stamps whole seconds, and never after the receipt. */
function pastSecond(): string {
  return new Date(Math.floor((Date.now() - 10_000) / 1000) * 1000).toISOString();
}

/** Delivers a signed connection event stamped `timestamp`; resolves to its event id. */
async function send(
  type: ConnectionEventType,
  connectionId: string,
  timestamp: string,
  fields: { readonly permissions?: string[]; readonly status?: string } = {},
): Promise<string> {
  const answer = await deliver(pipeline, connectionEvent(type, { connectionId, timestamp, ...fields }));
  expect(answer.status).toBe(202);
  return String(answer.json.eventId);
}

function completed(eventId: string, replay = false): Promise<true> {
  return eventually(
    () => (runs.some((run) => run.eventId === eventId && run.replay === replay) ? true : undefined),
    WAIT_MS,
    `a completed run of ${eventId}${replay ? ' (replay)' : ''}`,
  );
}

async function deadLettered(count: number): Promise<void> {
  await eventually(
    async () => {
      const { Attributes } = await pipeline.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: pipeline.resources.deadLetterQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages) >= count ? true : undefined;
    },
    WAIT_MS,
    `${count} message(s) on the dead-letter queue`,
  );
}

/**
 * SQS's redrive, as fauxqs allows it: the dead-letter message back, body and attributes kept.
 * Resolves once one message was moved (a message fauxqs has just dead-lettered may not be
 * receivable at once), and checks that it was only one.
 */
async function redriveOne(): Promise<void> {
  let moved = 0;
  await eventually(
    async () => {
      const result = await redriveMessages({
        sqs: pipeline.clients.sqs,
        sourceUrl: pipeline.resources.deadLetterQueueUrl,
        destinationUrl: pipeline.resources.queueUrl,
      });
      moved += result.moved;
      return moved > 0 ? true : undefined;
    },
    WAIT_MS,
    'a dead-letter message to move back',
  );
  expect(moved).toBe(1);
}

/**
 * A connection.created that failed its attempts to the dead-letter queue (its handler keeps
 * failing until the test lets it), then the update of its second, received after it, processed:
 * the older event a redrive or a replay must not let roll the update back.
 */
async function createdDeadLetteredBeforeItsUpdate(label: string) {
  const id = uniqueConnectionId(label);
  const second = pastSecond();
  failing.add(`${id} connection.created`);
  const created = await send('connection.created', id, second, {
    permissions: ['created'],
    status: 'active',
  });
  await deadLettered(1);
  const updated = await send('connection.updated', id, second, { permissions: ['updated'] });
  await completed(updated);
  return { id, created, updated };
}

describe('a redrive from the dead-letter queue', () => {
  it('keeps the update when the created of the same second is redriven after it', async () => {
    // GIVEN a connection.created that fails its 2 attempts and goes to the dead-letter queue
    // AND the update of the same second, received after it, processed meanwhile
    const { id, created, updated } = await createdDeadLetteredBeforeItsUpdate('redrive');
    expect(await connectionItem(pipeline, id)).toMatchObject({ permissions: ['updated'] });
    // WHEN the created is redriven and its handler now succeeds
    failing.delete(`${id} connection.created`);
    await redriveOne();
    await completed(created);
    // THEN the registry keeps the update's permissions
    expect(await connectionItem(pipeline, id)).toMatchObject({
      permissions: ['updated'],
      lastEventType: 'connection.updated',
      lastEventId: updated,
    });
  }, 90_000);

  it('keeps the update when the created and the update of one second arrive in order', async () => {
    // GIVEN a created, then the update of the same second received after it
    const id = uniqueConnectionId('inorder');
    const second = pastSecond();
    const created = await send('connection.created', id, second, {
      permissions: ['created'],
      status: 'active',
    });
    const updated = await send('connection.updated', id, second, { permissions: ['updated'] });
    // WHEN both are processed
    await completed(created);
    await completed(updated);
    // THEN the update wins
    expect(await connectionItem(pipeline, id)).toMatchObject({
      permissions: ['updated'],
      lastEventId: updated,
    });
  }, 90_000);

  it('keeps a connection expired when an update of the same second is redriven after the expiry', async () => {
    // GIVEN an active connection whose update fails to the dead-letter queue
    const id = uniqueConnectionId('expiry');
    const second = pastSecond();
    await completed(
      await send('connection.created', id, new Date(Date.parse(second) - 60_000).toISOString(), {
        status: 'active',
      }),
    );
    failing.add(`${id} connection.updated`);
    const update = await send('connection.updated', id, second, {
      permissions: ['updated'],
      status: 'active',
    });
    await deadLettered(1);
    // AND the expiry of the same second, received after it, processed meanwhile
    const expiry = await send('connection.expired', id, second, { status: 'expired' });
    await completed(expiry);
    // WHEN the update is redriven and its handler now succeeds
    failing.delete(`${id} connection.updated`);
    await redriveOne();
    await completed(update);
    // THEN the connection is still expired
    expect(await connectionItem(pipeline, id)).toMatchObject({
      status: 'expired',
      lastEventType: 'connection.expired',
      lastEventId: expiry,
    });
  }, 90_000);
});

/** Every archived copy of an event (a retried or redriven message is archived once per batch). */
async function archivedCopies(eventKey: string): Promise<ArchivedEvent[]> {
  const bucket = pipeline.resources.archive!;
  const { Contents = [] } = await pipeline.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const copies: ArchivedEvent[] = [];
  for (const { Key } of Contents) {
    const object = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    const { events } = parseArchiveObject((await object.Body?.transformToString('utf8')) ?? '');
    copies.push(...events.filter((event) => event.eventKey === eventKey));
  }
  return copies;
}

describe('a replay from the archive', () => {
  it('rolls nothing back when an older event of the second is replayed, whichever archived copy is sent', async () => {
    // GIVEN the created redriven after the update of its second, as above: archived twice, from
    // its first attempts and from the redrive, which carried a larger sequence number
    const { id, created, updated } = await createdDeadLetteredBeforeItsUpdate('replay');
    failing.delete(`${id} connection.created`);
    await redriveOne();
    await completed(created);
    const copies = await archivedCopies(created);
    const sequences = [...new Set(copies.map((copy) => copy.sequenceNumber))];
    expect(sequences.length).toBeGreaterThanOrEqual(2);
    expect(new Set(copies.map((copy) => copy.receivedAt)).size).toBe(1);
    // WHEN each copy is replayed with replay's own send
    for (const [index, copy] of copies.entries()) {
      const result = await sendReplay(
        pipeline.clients.sqs,
        pipeline.resources.queueUrl,
        replayGroups([copy]),
        {
          replayId: `test-${index}`,
          replayedAt: new Date(),
        },
      );
      expect(result).toEqual({ sent: 1, failed: [] });
    }
    await eventually(
      () =>
        runs.filter((run) => run.eventId === created && run.replay).length >= copies.length
          ? true
          : undefined,
      WAIT_MS,
      'every replayed copy handled',
    );
    // THEN the registry still holds the update
    expect(await connectionItem(pipeline, id)).toMatchObject({
      permissions: ['updated'],
      lastEventId: updated,
    });
  }, 90_000);
});
