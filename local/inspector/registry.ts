/**
 * The connections table as the inspector shows it: every connection the registry keeps (tombstones
 * included) and the latest Dynamic Rules revision. A scan is fine here: a local table holds what
 * one developer sent.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { LATEST_RULES_KEY } from '../../lambda/processor/rules.ts';
import { DOCUMENT_TRANSLATION } from '../../lambda/shared/document-translation.ts';
import { CONNECTIONS_TABLE } from '../../lambda/shared/resource-definitions.ts';
import type { ConnectionView, RegistryView, RulesView } from './api-types.ts';

/** Items read at most, so a table filled by a load test does not stall the page. */
const MAX_ITEMS = 2000;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function toConnection(item: Record<string, unknown>): ConnectionView {
  const view: Record<string, unknown> = { connectionId: text(item.connectionId) ?? String(item.pk) };
  for (const key of [
    'status',
    'clientReferenceId',
    'lastEventAt',
    'lastEventType',
    'lastEventId',
    'updatedAt',
    'disconnectedAt',
  ]) {
    if (text(item[key]) !== undefined) view[key] = item[key];
  }
  if (Array.isArray(item.permissions)) view.permissions = item.permissions.map(String);
  return view as unknown as ConnectionView;
}

function toRules(item: Record<string, unknown>): RulesView {
  return {
    ...((typeof item.revision === 'string' || typeof item.revision === 'number') && {
      revision: item.revision,
    }),
    ...(text(item.lastEventAt) && { lastEventAt: text(item.lastEventAt) }),
    ...(text(item.lastEventId) && { lastEventId: text(item.lastEventId) }),
    ...(text(item.updatedAt) && { updatedAt: text(item.updatedAt) }),
    ...(item.rules !== null &&
      typeof item.rules === 'object' && { rules: item.rules as Record<string, unknown> }),
  };
}

/**
 * Reads the registry and the rules, newest event first.
 *
 * @example
 * const view = await readRegistry(pipeline.clients.dynamodb, pipeline.resources.connectionsTableName);
 */
export async function readRegistry(client: DynamoDBClient, tableName: string): Promise<RegistryView> {
  const documents = DynamoDBDocumentClient.from(client, DOCUMENT_TRANSLATION);
  const connections: ConnectionView[] = [];
  let rules: RulesView | undefined;
  let read = 0;
  for await (const page of paginateScan({ client: documents }, { TableName: tableName })) {
    for (const item of page.Items ?? []) {
      const key = String(item[CONNECTIONS_TABLE.partitionKey]);
      if (key === LATEST_RULES_KEY) rules = toRules(item);
      else connections.push(toConnection(item));
    }
    read += page.Items?.length ?? 0;
    if (read >= MAX_ITEMS) break;
  }
  connections.sort((a, b) => (b.lastEventAt ?? '').localeCompare(a.lastEventAt ?? ''));
  return { connections, ...(rules && { rules }) };
}
