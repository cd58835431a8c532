/**
 * Where a message on the dead-letter queue came from, read from the message alone: three ways lead
 * there, and each asks for something else of an operator.
 *
 * - The verifier kept a signed body that is not an event (`keepRejected`): message group
 *   `rejected`, no `eventType` attribute, a `rejectionReason`. Redriving it cannot help.
 * - The processor put a queued body whose data fails its schema there at once
 *   (`lambda/processor/dead-letters.ts`): its own group and attributes, plus `rejectionReason`
 *   and `rejectionDetail`.
 * - SQS moved a message the processor failed `maxReceiveCount` times (the redrive policy): no
 *   rejection attributes at all.
 */
import { DEAD_LETTER_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import { isVerifierRejection } from '../move-messages.ts';
import type { DeadLetterSource } from './api-types.ts';
import type { InspectedMessage } from './queues.ts';
import { describeProcessorRejection } from './store.ts';

/** What the inspector knows besides the message. */
export interface DeadLetterContext {
  /** The event queue's `maxReceiveCount`. */
  readonly maxReceiveCount: number;
  /** The processor's last error for the message's event, when this inspector saw it. */
  readonly lastError?: string;
}

/**
 * Who put a dead-letter message there, and why, in words.
 *
 * @example
 * deadLetterOrigin(message, { maxReceiveCount: 5 }); // { source: 'processor', reason: 'rejected by the processor: invalid_data: …' }
 */
export function deadLetterOrigin(
  message: InspectedMessage,
  context: DeadLetterContext,
): { source: DeadLetterSource; reason: string } {
  const attribute = (name: string) => message.messageAttributes?.[name]?.StringValue;
  const reason = attribute(DEAD_LETTER_ATTRIBUTES.reason);
  if (reason) {
    const keptByVerifier = isVerifierRejection({
      Attributes: { ...(message.messageGroupId !== undefined && { MessageGroupId: message.messageGroupId }) },
      ...(message.messageAttributes && { MessageAttributes: message.messageAttributes }),
    });
    if (keptByVerifier) return { source: 'verifier', reason: `rejected by the verifier: ${reason}` };
    const detail = attribute(DEAD_LETTER_ATTRIBUTES.detail);
    return { source: 'processor', reason: describeProcessorRejection({ reason, ...(detail && { detail }) }) };
  }
  const receives = Number.isFinite(context.maxReceiveCount)
    ? `failed ${context.maxReceiveCount} receives (maxReceiveCount)`
    : 'failed its receives';
  return {
    source: 'redrive-policy',
    reason: `${receives}, then moved by SQS; ${
      context.lastError ? `last error: ${context.lastError}` : 'its errors were not seen by this inspector'
    }`,
  };
}
