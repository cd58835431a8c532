/**
 * One SQS FIFO batch: each message group (connection) in order, the groups side by side.
 *
 * FIFO promises order within a message group only; Lambda already runs different groups in
 * different invocations at once. Processing a batch's groups one after another, as Powertools'
 * `SqsFifoPartialProcessorAsync` does over a whole batch, makes a batch of ten connections take
 * ten handlers' time and holds every connection behind the slowest. Here each group gets its own
 * `SqsFifoPartialProcessorAsync` over its own records, in batch order, so the per-group rules stay
 * Powertools' own (a failed message fails the rest of its group in this batch, to be retried in
 * order), and the groups' runs overlap.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** Groups a batch's records by message group, each group's records in batch order. */
export function recordsByMessageGroup(records: readonly SQSRecord[]): SQSRecord[][] {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    // Every FIFO message has a group; records without one (a standard queue) form one group.
    const group = record.attributes.MessageGroupId ?? '';
    const members = groups.get(group);
    if (members) members.push(record);
    else groups.set(group, [record]);
  }
  return [...groups.values()];
}

/**
 * The records the FIFO group rule hands back after `first`: in each group, the first record whose
 * message id is in `first` and every later record of that group.
 */
export function recordsFromFirstOf(records: readonly SQSRecord[], first: ReadonlySet<string>): SQSRecord[] {
  return recordsByMessageGroup(records).flatMap((group) => {
    const start = group.findIndex((record) => first.has(record.messageId));
    return start === -1 ? [] : group.slice(start);
  });
}

/**
 * Runs `recordHandler` over a FIFO batch: each message group in order, the groups concurrently
 * (or one group after another when `concurrent` is false). The response lists the failed messages
 * in batch order; it never throws for failed records.
 *
 * @example
 * const response = await processMessageGroups(event, async (record) => { … }, context);
 */
export async function processMessageGroups(
  event: SQSEvent,
  recordHandler: (record: SQSRecord) => Promise<void>,
  context: Context,
  concurrent = true,
): Promise<SQSBatchResponse> {
  // Over one group, the FIFO processor's default rule is the group rule: the first failure fails
  // the record and every later one (`skipGroupOnError` would change nothing here).
  const processGroup = (Records: SQSRecord[]) =>
    processPartialResponse({ Records }, recordHandler, new SqsFifoPartialProcessorAsync(), {
      context,
      throwOnFullBatchFailure: false,
    });
  const groups = recordsByMessageGroup(event.Records);
  const groupResponses: SQSBatchResponse[] = [];
  if (concurrent) groupResponses.push(...(await Promise.all(groups.map(processGroup))));
  else for (const group of groups) groupResponses.push(await processGroup(group));
  const failed = new Set(
    groupResponses.flatMap((response) => response.batchItemFailures.map((failure) => failure.itemIdentifier)),
  );
  return {
    batchItemFailures: event.Records.filter((record) => failed.has(record.messageId)).map((record) => ({
      itemIdentifier: record.messageId,
    })),
  };
}
