/**
 * The inspector's view of an event's fate from the event record (`lambda/shared/event-record.ts`),
 * the same item `npm run cli -- trace` and a deployed stack read: the detail view takes its fate
 * from it, so what the page shows is what the record says. The side channel (the observed
 * processor) still supplies the log lines, and `processing`, which no record holds.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { publicationOf } from '../../dev/event-publication.ts';
import { DOCUMENT_TRANSLATION } from '../../lambda/shared/document-translation.ts';
import { EVENT_RECORD_TABLE, type EventRecord, fateOf, isExpired } from '../../lambda/shared/event-record.ts';
import type { DeliveryDetail, Fate } from './api-types.ts';

/** The live record of `eventKey`, or `undefined` when there is none (or it expired). */
export async function readEventRecord(
  client: DynamoDBClient,
  tableName: string,
  eventKey: string,
  nowMs = Date.now(),
): Promise<EventRecord | undefined> {
  const { Item } = await DynamoDBDocumentClient.from(client, DOCUMENT_TRANSLATION).send(
    new GetCommand({
      TableName: tableName,
      Key: { [EVENT_RECORD_TABLE.partitionKey]: eventKey },
      ConsistentRead: true,
    }),
  );
  return Item && !isExpired(Item, nowMs) ? (Item as EventRecord) : undefined;
}

/**
 * A detail with its event's record, the fate the record says and its event-bus line (as `trace`
 * words it); an attempt the side channel sees
 * running stays `processing` (the record learns of it only when it ends).
 */
export function withRecord(detail: DeliveryDetail, record: EventRecord | undefined): DeliveryDetail {
  if (!record) return detail;
  const observed = detail.summary.fate;
  const fate = observed === 'processing' ? observed : recordedFate(record, observed);
  const publication = publicationOf(record);
  return { ...detail, record, summary: { ...detail.summary, fate }, ...(publication && { publication }) };
}

function recordedFate(record: EventRecord, observed: Fate | undefined): Fate {
  switch (fateOf(record)) {
    case 'processed':
      return 'processed';
    case 'dead-lettered':
      return 'dead-letter';
    case 'retrying':
      return 'retrying';
    default:
      return observed ?? 'queued';
  }
}
