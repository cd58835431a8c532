import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { RulesStore } from '../../lambda/processor/rules.ts';
import type { ConnectionEventType } from '../../lambda/shared/event-model.ts';
import { connectionEvent, rulesUpdatedEvent } from '../fixtures/events.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import {
  lambdaContext,
  redrivenRecord,
  replayedRecord,
  sqsEvent,
  sqsRecord,
} from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';
import { emulatorProcessor } from './processor-harness.ts';

let registry: ConnectionRegistry;
let rules: RulesStore;
let run: (...records: SQSRecord[]) => Promise<unknown>;
let output: CapturedOutput;

beforeAll(async () => {
  const resources = await createTestResources();
  const documents = DynamoDBDocumentClient.from(resources.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  registry = new ConnectionRegistry({ tableName: resources.connectionsTableName, client: documents });
  rules = new RulesStore({ tableName: resources.connectionsTableName, client: documents });
  const handle = emulatorProcessor(resources, documents, {
    processedEvents: false,
  });
  run = (...records) => handle(sqsEvent(...records), lambdaContext());
});
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

let counter = 0;
function freshConnectionId(label: string): string {
  counter += 1;
  return `conn_${label}_${Date.now().toString(36)}_${counter}`;
}

/** A queued connection event as the verifier hands it on: stamped `timestamp`, received at `receivedAt`. */
function queued(
  type: ConnectionEventType,
  connectionId: string,
  times: { readonly timestamp: string; readonly receivedAt: string },
  permissions: readonly string[],
): SQSRecord {
  return sqsRecord({
    body: connectionEvent(type, { connectionId, timestamp: times.timestamp, permissions: [...permissions] }),
    eventKey: `key-${connectionId}-${type}-${permissions.join('+')}`,
    receivedAt: times.receivedAt,
  });
}

describe('an event stamped in the future', () => {
  it('does not hold back a later event of its connection: its time is its receipt', async () => {
    // GIVEN a signed update stamped two days after the verifier received it
    const id = freshConnectionId('future');
    await run(
      queued(
        'connection.updated',
        id,
        { timestamp: '2024-01-17T10:30:00Z', receivedAt: '2024-01-15T10:30:00.000Z' },
        ['future'],
      ),
    );
    // WHEN the connection's next update, stamped correctly one second later, is processed
    await run(
      queued(
        'connection.updated',
        id,
        { timestamp: '2024-01-15T10:30:01Z', receivedAt: '2024-01-15T10:30:01.200Z' },
        ['later'],
      ),
    );
    // THEN the later update applies, and the future-stamped one was ordered by its receipt
    expect(await registry.get(id)).toMatchObject({
      permissions: ['later'],
      lastEventAt: '2024-01-15T10:30:01.000Z',
    });
    expect(output.logs('event processed').map((line) => line.eventTimeSource)).toEqual([
      'received-future',
      'envelope',
    ]);
  });
});

describe('events of one second, whatever order the queue hands them over in', () => {
  // OFAuth stamps whole seconds: both events carry 10:30:00; the verifier received the first at
  // .100 and the second at .300.
  const second = '2024-01-15T10:30:00Z';
  const first = { timestamp: second, receivedAt: '2024-01-15T10:30:00.100Z' };
  const then = { timestamp: second, receivedAt: '2024-01-15T10:30:00.300Z' };

  it('keeps an update when the created before it is redriven from the dead-letter queue after it', async () => {
    // GIVEN a connection.created that went to the dead-letter queue, and the update received after
    // it, processed meanwhile
    const id = freshConnectionId('redrive');
    const created = queued('connection.created', id, first, ['created']);
    await run(queued('connection.updated', id, then, ['updated']));
    // WHEN the created is redriven: same body and attributes, a new and larger sequence number
    const redriven = redrivenRecord(created);
    await run(redriven);
    // THEN the update's permissions stay, and the created was acknowledged as stale
    expect(await registry.get(id)).toMatchObject({
      permissions: ['updated'],
      lastEventType: 'connection.updated',
    });
    expect(output.logs('stale event ignored')).toEqual([
      expect.objectContaining({ eventId: created.messageAttributes.eventKey?.stringValue }),
    ]);
  });

  it('applies the update when the created and the update arrive in order', async () => {
    // GIVEN the created, then the update received after it, in one batch and in two
    const finals = [];
    for (const batches of [1, 2]) {
      const id = freshConnectionId('inorder');
      const records = [
        queued('connection.created', id, first, ['created']),
        queued('connection.updated', id, then, ['updated']),
      ];
      // WHEN they are processed
      if (batches === 1) await run(...records);
      else for (const record of records) await run(record);
      finals.push((await registry.get(id))?.permissions);
    }
    // THEN the update wins either way
    expect(finals).toEqual([['updated'], ['updated']]);
  });

  it('keeps a connection expired when an update received before the expiry is redriven after it', async () => {
    // GIVEN an update that went to the dead-letter queue, and the expiry received after it,
    // processed meanwhile
    const id = freshConnectionId('expired');
    const update = queued('connection.updated', id, first, ['updated']);
    const expiry = sqsRecord({
      body: connectionEvent('connection.expired', { connectionId: id, timestamp: second, status: 'expired' }),
      eventKey: `key-${id}-expired`,
      receivedAt: then.receivedAt,
    });
    await run(expiry);
    // WHEN the update is redriven
    await run(redrivenRecord(update));
    // THEN the connection is still expired
    expect(await registry.get(id)).toMatchObject({ status: 'expired', lastEventType: 'connection.expired' });
  });

  it('rolls nothing back when an older event of the second is replayed, even one archived from its redrive', async () => {
    // GIVEN the created redriven after the update, as above, and archived with the redrive's own
    // sequence number (the archive keeps what each processed message carried)
    const id = freshConnectionId('replay');
    const created = queued('connection.created', id, first, ['created']);
    await run(queued('connection.updated', id, then, ['updated']));
    const redriven = redrivenRecord(created);
    await run(redriven);
    // WHEN the created is replayed from the archive, with the sequence number it was archived with
    await run(replayedRecord(created, redriven.attributes.SequenceNumber));
    // THEN the registry still holds the update
    expect(await registry.get(id)).toMatchObject({ permissions: ['updated'] });
  });

  it('keeps the newer Dynamic Rules revision when an older one of the same second is redriven after it', async () => {
    // GIVEN two revisions stamped with one second, the older one dead-lettered and the newer one
    // processed meanwhile
    const revision = (name: string, receivedAt: string) =>
      sqsRecord({
        body: rulesUpdatedEvent({ revision: name, timestamp: second }),
        eventKey: `key-rules-${name}`,
        receivedAt,
      });
    const older = revision('rev-older', first.receivedAt);
    await run(revision('rev-newer', then.receivedAt));
    // WHEN the older one is redriven
    await run(redrivenRecord(older));
    // THEN the newer revision stays
    expect((await rules.getLatest())?.revision).toBe('rev-newer');
  });
});
