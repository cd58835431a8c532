import { DEAD_LETTER_ATTRIBUTES, REJECTED_MESSAGE_GROUP_ID } from '../../lambda/shared/queue-message.ts';
import { deadLetterOrigin } from '../../local/inspector/dead-letters.ts';
import type { InspectedMessage } from '../../local/inspector/queues.ts';

const attributes = (values: Record<string, string>): InspectedMessage['messageAttributes'] =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { StringValue: value }]));

function message(overrides: Partial<InspectedMessage>): InspectedMessage {
  return { messageId: 'm-1', body: '{}', approximateReceiveCount: 0, ...overrides };
}

describe('where a dead-letter message came from', () => {
  it('reads a signed body the verifier kept (group rejected, no event type) as the verifier’s rejection', () => {
    // GIVEN a message as the verifier's keepRejected sends it
    const kept = message({
      messageGroupId: REJECTED_MESSAGE_GROUP_ID,
      messageAttributes: attributes({ eventKey: 'k1', [DEAD_LETTER_ATTRIBUTES.reason]: 'invalid_json' }),
    });
    // THEN it is the verifier's, with its code
    expect(deadLetterOrigin(kept, { maxReceiveCount: 5 })).toEqual({
      source: 'verifier',
      reason: 'rejected by the verifier: invalid_json',
    });
  });

  it('reads a queued body the processor moved at once (its own group and type) as the processor’s rejection', () => {
    // GIVEN a message as the processor's rejectedMessage sends it
    const moved = message({
      messageGroupId: 'conn_1',
      messageAttributes: attributes({
        eventKey: 'k2',
        eventType: 'connection.created',
        [DEAD_LETTER_ATTRIBUTES.reason]: 'invalid_data',
        [DEAD_LETTER_ATTRIBUTES.detail]: 'data.connection.status: expected string',
      }),
    });
    // THEN it is the processor's, with its reason and the parse error, never the verifier's
    expect(deadLetterOrigin(moved, { maxReceiveCount: 5 })).toEqual({
      source: 'processor',
      reason: 'rejected by the processor: invalid_data: data.connection.status: expected string',
    });
  });

  it('reads a message without a rejection as moved by the queue’s redrive policy, with the last error seen', () => {
    const failed = message({
      messageGroupId: 'conn_1',
      messageAttributes: attributes({ eventKey: 'k3', eventType: 'connection.updated' }),
    });
    expect(deadLetterOrigin(failed, { maxReceiveCount: 5, lastError: 'event failed: boom' })).toEqual({
      source: 'redrive-policy',
      reason: 'failed 5 receives (maxReceiveCount), then moved by SQS; last error: event failed: boom',
    });
    expect(deadLetterOrigin(failed, { maxReceiveCount: 5 }).reason).toBe(
      'failed 5 receives (maxReceiveCount), then moved by SQS; its errors were not seen by this inspector',
    );
  });
});
