/**
 * The verifier–processor contract's helpers (lambda/shared/queue-message.ts): the FIFO message
 * group of an event and the deduplication id of a replayed message, within SQS's limits.
 */
import { createHash } from 'node:crypto';
import { messageGroupIdFor, replayDeduplicationId } from '../../lambda/shared/queue-message.ts';

describe('the message group of an event', () => {
  it('replaces each character SQS refuses in a group id by "_"', () => {
    expect(messageGroupIdFor({ type: 'connection.updated', connectionId: 'conn a/é' })).toBe('conn_a/_');
  });

  it('cuts a connection id longer than 128 characters to the first 128', () => {
    const connectionId = `conn_${'x'.repeat(200)}`;
    expect(messageGroupIdFor({ type: 'connection.updated', connectionId })).toBe(connectionId.slice(0, 128));
  });

  it('groups an event without a connection by its type', () => {
    expect(messageGroupIdFor({ type: 'rules.updated' })).toBe('type:rules.updated');
  });
});

describe('the deduplication id of a replayed message', () => {
  it('is the replay id and the event key while that fits 128 characters, 128 included', () => {
    // GIVEN a key that makes the id exactly 128 characters long
    const eventKey = 'k'.repeat(128 - 'r:replay-1:'.length);
    // WHEN / THEN it is kept as it is
    expect(replayDeduplicationId(eventKey, 'replay-1')).toBe(`r:replay-1:${eventKey}`);
    expect(replayDeduplicationId(eventKey, 'replay-1')).toHaveLength(128);
  });

  it('takes the SHA-256 of a longer key, and at most 32 characters of the replay id', () => {
    // GIVEN a key one character longer, and a long replay id
    const eventKey = 'k'.repeat(128 - 'r:replay-1:'.length + 1);
    const replayId = `replay-${'9'.repeat(40)}`;
    // WHEN the id is made
    const id = replayDeduplicationId(eventKey, replayId);
    // THEN it is stable, within 128 characters, and distinct per key
    const digest = createHash('sha256').update(eventKey).digest('hex');
    expect(id).toBe(`r:${replayId.slice(0, 32)}:${digest}`);
    expect(id.length).toBeLessThanOrEqual(128);
    expect(replayDeduplicationId(`${eventKey}x`, replayId)).not.toBe(id);
  });
});
