/**
 * What an operator or a tool needs to act on a receiver, granted to a principal of the consumer's
 * choosing: replaying the archive, redriving the dead-letter queue (both as the repository's CLI
 * does them, `cli/replay.ts` and `cli/queues.ts`), and reading the connection registry. Every
 * statement names its resources; the one wildcard (archive objects, whose names Firehose makes
 * up) is acknowledged for cdk-nag on the grantee.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ARCHIVE_EVENTS_PREFIX } from '../../lambda/shared/archive-layout.ts';
import { CONNECTIONS_TABLE } from '../../lambda/shared/resource-definitions.ts';
import type { ReceiverArchive } from '../receiver-archive.ts';

/** Actions on a key, by key ARN, so that one key behind two resources gets one statement. */
type KeyActions = Map<IKey, Set<string>>;

function addKeyActions(keys: KeyActions, key: IKey | undefined, actions: readonly string[]): void {
  if (!key) return;
  const set = keys.get(key) ?? new Set<string>();
  for (const action of actions) set.add(action);
  keys.set(key, set);
}

/** One grant per statement, combined; key statements last, one per key. */
function grantAll(
  grantee: IGrantable,
  statements: ReadonlyArray<readonly [actions: string[], resourceArns: string[]]>,
  keys: KeyActions,
): Grant {
  const grants = statements.map(([actions, resourceArns]) =>
    Grant.addToPrincipal({ grantee, actions, resourceArns }),
  );
  for (const [key, actions] of keys) {
    grants.push(Grant.addToPrincipal({ grantee, actions: [...actions].sort(), resourceArns: [key.keyArn] }));
  }
  return grants.reduce((all, grant) => all.combine(grant));
}

/** The stack's own ARN (with its id, no wildcard): the CLI reads the queue URLs and bucket from its outputs. */
const describeStack = (scope: Construct): [string[], string[]] => [
  ['cloudformation:DescribeStacks'],
  [Stack.of(scope).stackId],
];

/** The logical ID of a resource, as cdk-nag names it in a finding of the same stack. */
function logicalIdOf(construct: Construct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

/** What the resources the grants read are. */
export interface GrantTargets {
  readonly scope: Construct;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly connectionsTable: Table;
  readonly archive?: ReceiverArchive;
}

/**
 * `replay`: list and read the archive's event objects (decrypting them with the archive's key),
 * and send to the event queue (SQS encrypts each message with a data key it asks KMS for under
 * the caller's identity).
 */
export function grantReplay(grantee: IGrantable, targets: GrantTargets): Grant {
  const { archive, queue, scope } = targets;
  if (!archive) {
    throw new Error(`${scope.node.path} has no archive (archive: false): there is nothing to replay`);
  }
  const keys: KeyActions = new Map();
  addKeyActions(keys, archive.encryptionKey, ['kms:Decrypt']);
  addKeyActions(keys, queue.encryptionMasterKey, ['kms:Decrypt', 'kms:GenerateDataKey']);
  const events = `${archive.bucket.bucketArn}/${ARCHIVE_EVENTS_PREFIX}*`;
  const grant = grantAll(
    grantee,
    [
      [['s3:ListBucket'], [archive.bucket.bucketArn]],
      [['s3:GetObject'], [events]],
      [['sqs:SendMessage'], [queue.queueArn]],
      describeStack(scope),
    ],
    keys,
  );
  if (Construct.isConstruct(grantee)) {
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(archive.bucket)}.Arn>/${ARCHIVE_EVENTS_PREFIX}*]`,
      reason:
        'Replay reads archived events, whose object names Firehose makes up (hour prefix, stream name, time, random id): read access is granted under the events/ prefix only.',
    });
  }
  return grant;
}

/**
 * `redrive`, both ways the CLI offers: its own move (receive, send with the message's group and
 * attributes, delete, and release what it held but did not move, with ChangeMessageVisibility),
 * and `--move-task`, an SQS message move task, which runs with the caller's permissions and is
 * watched. Read attributes on both queues, send on the event queue, the keys of both.
 */
export function grantRedrive(grantee: IGrantable, targets: GrantTargets): Grant {
  const { queue, deadLetterQueue, scope } = targets;
  const keys: KeyActions = new Map();
  addKeyActions(keys, deadLetterQueue.encryptionMasterKey, ['kms:Decrypt']);
  addKeyActions(keys, queue.encryptionMasterKey, ['kms:Decrypt', 'kms:GenerateDataKey']);
  return grantAll(
    grantee,
    [
      [
        [
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
          'sqs:CancelMessageMoveTask',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
        ],
        [deadLetterQueue.queueArn],
      ],
      [['sqs:SendMessage', 'sqs:GetQueueAttributes'], [queue.queueArn]],
      describeStack(scope),
    ],
    keys,
  );
}

/**
 * Reading the connection registry as the kit's `getConnection`, `findConnectionsByClientReferenceId`
 * and `getLatestRules` do: items by key, and the index by client reference id.
 */
export function grantReadConnections(grantee: IGrantable, targets: GrantTargets): Grant {
  const { connectionsTable: table } = targets;
  const keys: KeyActions = new Map();
  addKeyActions(keys, table.encryptionKey, ['kms:Decrypt']);
  return grantAll(
    grantee,
    [
      [['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'], [table.tableArn]],
      [['dynamodb:Query'], [`${table.tableArn}/index/${CONNECTIONS_TABLE.byClientReferenceIdIndex.name}`]],
    ],
    keys,
  );
}
